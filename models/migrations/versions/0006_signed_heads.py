"""Ledger: signed tree heads, witnesses and their co-signatures.

Heads recorded before this migration stay unsigned (append-only); `flask ledger head` signs a
head of the same size and root afterwards.

Revision ID: 0006_signed_heads
Revises: 0005_stripe_disputes
"""
from alembic import op
import sqlalchemy as sa

import models.base

# As models/ledger.py, frozen here.
APPEND_ONLY_TABLES = ('ledger_accounts', 'ledger_entries', 'ledger_postings', 'ledger_tree_heads',
                      'ledger_cosignatures')

revision = '0006_signed_heads'
down_revision = '0005_stripe_disputes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ledger_tree_heads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('log_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('signature', sa.String(length=128), nullable=True))
    op.create_table('ledger_witnesses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_witnesses')),
    sa.UniqueConstraint('public_key', name=op.f('uq_ledger_witnesses_public_key'))
    )
    op.create_table('ledger_cosignatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('head_id', sa.Integer(), nullable=False),
    sa.Column('witness_id', sa.Integer(), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['head_id'], ['ledger_tree_heads.id'], name=op.f('fk_ledger_cosignatures_head_id_ledger_tree_heads')),
    sa.ForeignKeyConstraint(['witness_id'], ['ledger_witnesses.id'], name=op.f('fk_ledger_cosignatures_witness_id_ledger_witnesses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_cosignatures')),
    sa.UniqueConstraint('head_id', 'witness_id', name=op.f('uq_ledger_cosignatures_head_id'))
    )
    with op.batch_alter_table('ledger_cosignatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_cosignatures_head_id'), ['head_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_cosignatures_witness_id'), ['witness_id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        # Row triggers (UPDATE, DELETE) on the new table and accounts; TRUNCATE refused on all.
        for table in ('ledger_cosignatures', 'ledger_accounts'):
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()")
        for table in APPEND_ONLY_TABLES:
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in APPEND_ONLY_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER IF EXISTS ledger_accounts_append_only ON ledger_accounts")
    with op.batch_alter_table('ledger_cosignatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_cosignatures_witness_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_cosignatures_head_id'))
    op.drop_table('ledger_cosignatures')
    op.drop_table('ledger_witnesses')
    with op.batch_alter_table('ledger_tree_heads', schema=None) as batch_op:
        batch_op.drop_column('signature')
        batch_op.drop_column('log_id')
