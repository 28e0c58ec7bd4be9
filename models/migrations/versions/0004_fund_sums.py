"""The care-fund summary table the public fund pages read, filled from the existing postings.

Revision ID: 0004_fund_sums
Revises: 0003_payments
"""
from alembic import op
import sqlalchemy as sa

revision = '0004_fund_sums'
down_revision = '0003_payments'
branch_labels = None
depends_on = None

# As market/ledger/sums.py: the month in Asia/Shanghai (UTC + 8 hours), '' for no line or category.
BACKFILL = """
INSERT INTO ledger_care_sums (home_id, month, kind, sold_kind, category, code, commodity, amount, entries)
SELECT a.home_id, {month}, e.kind, COALESCE(l.kind, ''), COALESCE(e.category, ''), a.code, a.commodity,
       SUM(p.amount), COUNT(DISTINCT p.entry_id)
FROM ledger_postings p
JOIN ledger_accounts a ON a.id = p.account_id
JOIN ledger_entries e ON e.id = p.entry_id
LEFT OUTER JOIN order_lines l ON l.id = p.order_line_id
WHERE a.home_id IS NOT NULL AND a.code IN ('care_fund:pending', 'care_fund:available')
GROUP BY a.home_id, {month}, e.kind, COALESCE(l.kind, ''), COALESCE(e.category, ''), a.code, a.commodity
"""
MONTH = {
    'sqlite': "strftime('%Y-%m', e.occurred_at, '+8 hours')",
    'postgresql': "to_char(e.occurred_at + interval '8 hours', 'YYYY-MM')",
}


def upgrade():
    op.create_table('ledger_care_sums',
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('sold_kind', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('commodity', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['home_id'], ['homes.id'], name=op.f('fk_ledger_care_sums_home_id_homes')),
    sa.PrimaryKeyConstraint('home_id', 'month', 'kind', 'sold_kind', 'category', 'code', 'commodity',
                            name=op.f('pk_ledger_care_sums'))
    )
    op.execute(BACKFILL.format(month=MONTH[op.get_bind().dialect.name]))


def downgrade():
    op.drop_table('ledger_care_sums')
