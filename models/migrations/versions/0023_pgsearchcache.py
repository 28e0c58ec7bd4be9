"""PostgreSQL search caches (issue 21): `search_version`, one counter row bumped in the same
transaction as every write to search_documents; each server caches what only changes when the
index changes (term look-ups, listing counts per concept, typo vocabulary) under that version.

Revision ID: 0023_pgsearchcache
Revises: 0020_elderpay
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023_pgsearchcache'
down_revision = '0020_elderpay'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'search_version',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_version')),
    )
    op.execute("INSERT INTO search_version (id, version) VALUES (1, 1)")


def downgrade():
    op.drop_table('search_version')
