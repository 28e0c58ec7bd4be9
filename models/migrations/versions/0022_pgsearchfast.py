"""PostgreSQL search speed (issue 21): the GIN index of search_documents writes straight into
its tree (fastupdate off). With the pending list on, every search scanned up to 4 MB of
not-yet-merged entries for each of its term look-ups (190 pages a look-up after a rebuild).
And `terms` is compressed with LZ4 where the server has it (unpacked for every matched row);
rows already written keep pglz until rewritten (`flask search reindex`).

Revision ID: 0022_pgsearchfast
Revises: 0015_console
"""
from alembic import op

TERMS_LZ4 = """DO $$ BEGIN
    IF (SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression') THEN
        ALTER TABLE search_documents ALTER COLUMN terms SET COMPRESSION lz4;
    END IF;
END $$"""


# revision identifiers, used by Alembic.
revision = '0022_pgsearchfast'
down_revision = '0015_console'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return  # the index is PostgreSQL's own; SQLite's search_documents stays empty
    op.execute("ALTER INDEX ix_search_documents_terms SET (fastupdate = off)")
    op.execute("SELECT gin_clean_pending_list('ix_search_documents_terms')")
    op.execute(TERMS_LZ4)


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("ALTER INDEX ix_search_documents_terms RESET (fastupdate)")
    op.execute("ALTER TABLE search_documents ALTER COLUMN terms SET COMPRESSION default")
