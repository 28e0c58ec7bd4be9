"""PostgreSQL search speed after a change (issue 21): search_spellings, the typo vocabulary with
each word's listing count, kept in step with search_documents instead of counted from every
row's `spell` by each server after each change; the number of listings indexed, kept in the
search_version row; both filled here from the rows already indexed. And an index of
search_documents' facet and sort columns, which a ranked search reads alone (models/search.py).

Revision ID: 0026_pgsearchcold
Revises: 0025_pgsearchpostings
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026_pgsearchcold'
down_revision = '0025_pgsearchpostings'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_search_documents_facets', 'search_documents', ['listing_id'], postgresql_include=[
        'kind', 'province', 'home_id', 'price_band', 'price_fen', 'next_date'])
    op.create_table(
        'search_spellings',
        sa.Column('word', sa.Text(), nullable=False),
        sa.Column('listings', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('word', name=op.f('pk_search_spellings')),
    )
    op.add_column('search_version', sa.Column('listings', sa.Integer(), nullable=True))
    op.execute("UPDATE search_version SET listings = (SELECT count(*) FROM search_documents)")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("INSERT INTO search_spellings (word, listings) "
                   "SELECT word, count(*) FROM search_documents, unnest(tsvector_to_array(spell)) AS word "
                   "GROUP BY word")


def downgrade():
    op.drop_column('search_version', 'listings')
    op.drop_index('ix_search_documents_facets', table_name='search_documents')
    op.drop_table('search_spellings')
