"""Background jobs: the durable outbox and the workers' heartbeats.

Revision ID: 0008_jobs_outbox
Revises: 0007_used_form_tokens
"""
from alembic import op
import sqlalchemy as sa

import models.base

revision = '0008_jobs_outbox'
down_revision = '0007_used_form_tokens'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('jobs_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('task', sa.String(length=200), nullable=False),
    sa.Column('args_json', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('run_after', models.base.UTCDateTime(), nullable=False),
    sa.Column('lease_until', models.base.UTCDateTime(), nullable=True),
    sa.Column('enqueued_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('done_at', models.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs_outbox')),
    sa.UniqueConstraint('key', name=op.f('uq_jobs_outbox_key'))
    )
    with op.batch_alter_table('jobs_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_outbox_status'), ['status'], unique=False)
    op.create_table('jobs_workers',
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('beat_at', models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_jobs_workers'))
    )


def downgrade():
    op.drop_table('jobs_workers')
    with op.batch_alter_table('jobs_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_outbox_status'))
    op.drop_table('jobs_outbox')
