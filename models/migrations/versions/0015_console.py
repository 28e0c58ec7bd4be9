"""The home's console (issue 18): staff block room nights — a room night without an order line,
with the reason and who blocked it.

Revision ID: 0015_console
Revises: 0019_pgsearch
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_console'
down_revision = '0019_pgsearch'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('room_nights', schema=None) as batch_op:
        batch_op.alter_column('order_line_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('blocked_reason', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('blocked_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_room_nights_blocked_by_id_users'), 'users',
                                    ['blocked_by_id'], ['id'])


def downgrade():
    op.execute("DELETE FROM room_nights WHERE order_line_id IS NULL")
    with op.batch_alter_table('room_nights', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_room_nights_blocked_by_id_users'), type_='foreignkey')
        batch_op.drop_column('blocked_by_id')
        batch_op.drop_column('blocked_reason')
        batch_op.alter_column('order_line_id', existing_type=sa.Integer(), nullable=False)
