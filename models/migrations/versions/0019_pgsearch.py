"""Search on PostgreSQL (issue 21): the search_documents table, tsvector columns with a GIN index.

On PostgreSQL the columns are tsvectors and the GIN index serves `terms @@ query`
(market/search/pg_backend.py). On SQLite the same table is
created with text columns and stays empty (SEARCH_BACKEND=postgres refuses to start there), so
the models match the schema on both.

Revision ID: 0019_pgsearch
Revises: 0014_cartpay
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0019_pgsearch'
down_revision = '0014_cartpay'
branch_labels = None
depends_on = None


def upgrade():
    tsvector = sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql')
    op.create_table(
        'search_documents',
        sa.Column('listing_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('province', sa.String(length=100), nullable=False),
        sa.Column('home_id', sa.Integer(), nullable=False),
        sa.Column('price_band', sa.String(length=20), nullable=False),
        sa.Column('price_fen', sa.BigInteger(), nullable=False),
        sa.Column('next_date', sa.Integer(), nullable=False),
        sa.Column('terms', tsvector, nullable=False),
        sa.Column('spell', tsvector, nullable=False),
        sa.Column('indexed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('listing_id', name=op.f('pk_search_documents')),
    )
    op.create_index('ix_search_documents_terms', 'search_documents', ['terms'],
                    postgresql_using='gin')
    op.create_index(op.f('ix_search_documents_indexed_at'), 'search_documents', ['indexed_at'])


def downgrade():
    op.drop_index(op.f('ix_search_documents_indexed_at'), table_name='search_documents')
    op.drop_index('ix_search_documents_terms', table_name='search_documents')
    op.drop_table('search_documents')
