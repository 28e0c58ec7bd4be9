"""Fund governance: corrections of mistaken ledger entries (four eyes); subsidies and grants
with their document and a second person's confirmation (grants recorded before count as
confirmed, as they were already in the books).

The public audit log needs no table: its changes are entries of the ledger (kind `audit`).

Revision ID: 0009_governance
Revises: 0008_jobs_outbox
"""
from alembic import op
import sqlalchemy as sa

import models.base

revision = '0009_governance'
down_revision = '0008_jobs_outbox'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('fund_grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_path', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('document_content_type', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False, server_default='confirmed'))
        batch_op.add_column(sa.Column('confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('confirmed_at', models.base.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_fund_grants_confirmed_by_id_users'), 'users',
                                    ['confirmed_by_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_fund_grants_four_eyes'),
                                         'confirmed_by_id IS NULL OR confirmed_by_id <> recorded_by_id')
    op.create_table('fund_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=False),
    sa.Column('decided_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('reversal_entry_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('decided_by_id IS NULL OR decided_by_id <> proposed_by_id', name=op.f('ck_fund_corrections_four_eyes')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_fund_corrections_decided_by_id_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_fund_corrections_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['home_id'], ['homes.id'], name=op.f('fk_fund_corrections_home_id_homes')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_fund_corrections_proposed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_corrections'))
    )
    with op.batch_alter_table('fund_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_corrections_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fund_corrections_reversal_entry_id'), ['reversal_entry_id'], unique=False)
        batch_op.create_index('ix_fund_corrections_home_status', ['home_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('fund_grants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_fund_grants_four_eyes'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_fund_grants_confirmed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('confirmed_at')
        batch_op.drop_column('confirmed_by_id')
        batch_op.drop_column('status')
        batch_op.drop_column('document_content_type')
        batch_op.drop_column('document_path')
    with op.batch_alter_table('fund_corrections', schema=None) as batch_op:
        batch_op.drop_index('ix_fund_corrections_home_status')
        batch_op.drop_index(batch_op.f('ix_fund_corrections_reversal_entry_id'))
        batch_op.drop_index(batch_op.f('ix_fund_corrections_entry_id'))
    op.drop_table('fund_corrections')
