"""One Stripe payment for a whole cart (issue 17): the payment attempts paid together by one
Checkout Session share a group key.

Revision ID: 0014_cartpay
Revises: 0016_notify
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_cartpay'
down_revision = '0016_notify'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_key', sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f('ix_payments_group_key'), ['group_key'], unique=False)


def downgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_group_key'))
        batch_op.drop_column('group_key')
