"""One-time form tokens that were used (a form sent twice does one thing).

Revision ID: 0007_used_form_tokens
Revises: 0006_signed_heads
"""
from alembic import op
import sqlalchemy as sa

import models.base

revision = '0007_used_form_tokens'
down_revision = '0006_signed_heads'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('used_form_tokens',
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('used_at', models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_used_form_tokens'))
    )
    with op.batch_alter_table('used_form_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_form_tokens_used_at'), ['used_at'], unique=False)


def downgrade():
    with op.batch_alter_table('used_form_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_form_tokens_used_at'))
    op.drop_table('used_form_tokens')
