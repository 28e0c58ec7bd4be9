"""PostgreSQL search speed (issue 21): search_postings, each listing's lexemes with their term
frequencies, read by an index-only scan instead of cutting every matched row's tsvector
(models/search.py). Filled here from the rows already indexed, in SQL, as the backend writes it.

Revision ID: 0025_pgsearchpostings
Revises: 0024_pgsearchplain
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025_pgsearchpostings'
down_revision = '0024_pgsearchplain'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'search_postings',
        sa.Column('listing_id', sa.Integer(), nullable=False),
        sa.Column('term', sa.BigInteger(), nullable=False),
        sa.Column('tf', sa.SmallInteger(), nullable=False),
    )
    op.create_index(op.f('ix_search_postings_listing_id'), 'search_postings', ['listing_id'])
    op.create_index('ix_search_postings_term', 'search_postings', ['term', 'listing_id'],
                    postgresql_include=['tf'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("INSERT INTO search_postings (listing_id, term, tf) "
                   "SELECT listing_id, hashtextextended(lexeme, 0), cardinality(positions) "
                   "FROM search_documents, unnest(terms)")


def downgrade():
    op.drop_index('ix_search_postings_term', table_name='search_postings')
    op.drop_index(op.f('ix_search_postings_listing_id'), table_name='search_postings')
    op.drop_table('search_postings')
