"""Stripe: why an attempt was refused and when to try again; new keys after a 5xx; disputes.

Revision ID: 0005_stripe_disputes
Revises: 0004_fund_sums
"""
from alembic import op
import sqlalchemy as sa

import models.base

revision = '0005_stripe_disputes'
down_revision = '0004_fund_sums'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('retry_at', models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('failures', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('send_attempt', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('fund_donations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkout_attempt', sa.Integer(), nullable=False, server_default='1'))
    op.create_table('disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('provider_ref', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('provider_status', sa.String(length=40), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reason', sa.String(length=80), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('closed_at', models.base.UTCDateTime(), nullable=True),
    sa.CheckConstraint('amount_fen >= 0', name=op.f('ck_disputes_amount_nonneg')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_disputes_order_id_orders')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_disputes_payment_id_payments')),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_disputes_refund_id_refunds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes')),
    sa.UniqueConstraint('provider_ref', name=op.f('uq_disputes_provider_ref'))
    )
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disputes_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disputes_payment_id'), ['payment_id'], unique=False)


def downgrade():
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disputes_payment_id'))
        batch_op.drop_index(batch_op.f('ix_disputes_order_id'))
    op.drop_table('disputes')
    with op.batch_alter_table('fund_donations', schema=None) as batch_op:
        batch_op.drop_column('checkout_attempt')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_column('send_attempt')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('failures')
        batch_op.drop_column('retry_at')
        batch_op.drop_column('failure')
