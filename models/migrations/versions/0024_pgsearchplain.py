"""PostgreSQL search speed (issue 21): `terms` kept inline and uncompressed (storage EXTERNAL,
rows moved out of line only past 8,160 bytes). A search reads the tsvector of every row it
matches, several times; unpacking LZ4 on each read cost 15% of a warm search at 50,000
listings (bench/results/search.json). The heap grows by about a sixth. Rows already written
keep their compression until rewritten (`flask search reindex`).

Revision ID: 0024_pgsearchplain
Revises: 0021_shipping
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024_pgsearchplain'
down_revision = '0021_shipping'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return  # the index is PostgreSQL's own; SQLite's search_documents stays empty
    op.execute("ALTER TABLE search_documents ALTER COLUMN terms SET STORAGE EXTERNAL")
    op.execute("ALTER TABLE search_documents SET (toast_tuple_target = 8160)")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("ALTER TABLE search_documents ALTER COLUMN terms SET STORAGE EXTENDED")
    op.execute("ALTER TABLE search_documents RESET (toast_tuple_target)")
