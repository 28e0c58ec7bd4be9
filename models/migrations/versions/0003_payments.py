"""Payments: the processing fee keeps its own currency; a refund records who asked for it.

Revision ID: 0003_payments
Revises: 0002_orders
"""
from alembic import op
import sqlalchemy as sa

revision = '0003_payments'
down_revision = '0002_orders'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fee_currency', sa.String(length=3), nullable=True))
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('initiated_by', sa.String(length=20), nullable=False,
                                      server_default='staff'))
    # Fees recorded so far were recorded only when they were in the payment's own currency.
    op.execute("UPDATE payments SET fee_currency = currency WHERE fee_fen IS NOT NULL")
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.alter_column('initiated_by', server_default=None)


def downgrade():
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_column('initiated_by')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('fee_currency')
