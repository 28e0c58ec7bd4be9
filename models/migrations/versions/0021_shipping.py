"""Shipping by province (issue 17): each home's shipping table, and the shipping fee and days
stored on the order (its total includes them).

Revision ID: 0021_shipping
Revises: 0023_pgsearchcache
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_shipping'
down_revision = '0023_pgsearchcache'
branch_labels = None
depends_on = None


# No check constraint on orders: adding one makes SQLite copy the table, which its order lines
# reference (the refund paths keep shipping_refunded_fen within shipping_fen).
def upgrade():
    op.create_table(
        'shipping_rates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('home_id', sa.Integer(), nullable=False),
        sa.Column('province', sa.String(length=40), nullable=True),
        sa.Column('fee_fen', sa.Integer(), nullable=False),
        sa.Column('days_min', sa.Integer(), nullable=False),
        sa.Column('days_max', sa.Integer(), nullable=False),
        sa.CheckConstraint('fee_fen >= 0', name=op.f('ck_shipping_rates_fee_nonneg')),
        sa.CheckConstraint('days_min >= 1 AND days_max <= 60 AND days_min <= days_max',
                           name=op.f('ck_shipping_rates_days_range')),
        sa.ForeignKeyConstraint(['home_id'], ['homes.id'], name=op.f('fk_shipping_rates_home_id_homes')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_rates')),
        sa.UniqueConstraint('home_id', 'province', name=op.f('uq_shipping_rates_home_id')),
    )
    with op.batch_alter_table('shipping_rates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipping_rates_home_id'), ['home_id'], unique=False)
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shipping_fen', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('shipping_days', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('shipping_refunded_fen', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of `orders` would break its lines' keys.
    for column in ('shipping_refunded_fen', 'shipping_days', 'shipping_fen'):
        op.execute(f"ALTER TABLE orders DROP COLUMN {column}")
    with op.batch_alter_table('shipping_rates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipping_rates_home_id'))
    op.drop_table('shipping_rates')
