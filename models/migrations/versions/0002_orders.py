"""Orders: fulfilment per line, English line titles, who acted on each event, the cart owner
of a checkout, and each home's payment details.

Existing data: each goods line of a shipped order takes the order's carrier and tracking number;
every line of a fulfilled order is fulfilled when (and by whom) the order was; each event's actor
is named customer (the checkout, or the order's own user), staff (another user) or system.

Revision ID: 0002_orders
Revises: 0001_initial
"""
from alembic import op
import sqlalchemy as sa
import models.base

revision = '0002_orders'
down_revision = '0001_initial'
branch_labels = None
depends_on = None

PAYMENT_COLUMNS = ('pay_payee', 'pay_account', 'pay_phone', 'pay_note_zh', 'pay_note_en')


FULFILLED_BY_FK = 'fk_order_lines_fulfilled_by_id_users'


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def upgrade():
    # Plain ALTER TABLE (no batch copy): SQLite cannot drop a table other rows refer to while
    # foreign keys are on, which a copy-and-move of orders or order_lines would need.
    op.add_column('homes', sa.Column('pay_payee', sa.String(length=120), nullable=False, server_default=''))
    op.add_column('homes', sa.Column('pay_account', sa.String(length=120), nullable=False, server_default=''))
    op.add_column('homes', sa.Column('pay_phone', sa.String(length=20), nullable=False, server_default=''))
    op.add_column('homes', sa.Column('pay_note_zh', sa.Text(), nullable=False, server_default=''))
    op.add_column('homes', sa.Column('pay_note_en', sa.Text(), nullable=False, server_default=''))

    op.add_column('order_events', sa.Column('actor_kind', sa.String(length=10), nullable=False,
                                            server_default='system'))
    op.execute("""
        UPDATE order_events SET actor_kind = CASE
          WHEN reason = 'checkout' THEN 'customer'
          WHEN actor_id IS NULL THEN 'system'
          WHEN actor_id = (SELECT user_id FROM orders WHERE orders.id = order_events.order_id) THEN 'customer'
          ELSE 'staff' END
    """)

    op.add_column('order_lines', sa.Column('title_en', sa.String(length=200), nullable=False, server_default=''))
    op.add_column('order_lines', sa.Column('fulfilled_at', models.base.UTCDateTime(), nullable=True))
    if _sqlite():  # SQLite adds a column with its reference in one statement, or not at all
        op.execute('ALTER TABLE order_lines ADD COLUMN fulfilled_by_id INTEGER REFERENCES users (id)')
    else:
        op.add_column('order_lines', sa.Column('fulfilled_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(FULFILLED_BY_FK, 'order_lines', 'users', ['fulfilled_by_id'], ['id'])
    op.add_column('order_lines', sa.Column('carrier', sa.String(length=60), nullable=True))
    op.add_column('order_lines', sa.Column('tracking_number', sa.String(length=60), nullable=True))
    op.execute("""
        UPDATE order_lines SET
          carrier = (SELECT carrier FROM orders WHERE orders.id = order_lines.order_id),
          tracking_number = (SELECT tracking_number FROM orders WHERE orders.id = order_lines.order_id)
        WHERE kind IN ('produce', 'craft')
    """)
    op.execute("""
        UPDATE order_lines SET
          fulfilled_at = (SELECT min(created_at) FROM order_events
                          WHERE order_events.order_id = order_lines.order_id
                            AND order_events.to_status = 'fulfilled'),
          fulfilled_by_id = (SELECT actor_id FROM order_events
                             WHERE order_events.order_id = order_lines.order_id
                               AND order_events.to_status = 'fulfilled'
                             ORDER BY order_events.id LIMIT 1)
    """)

    op.add_column('orders', sa.Column('cart_owner', sa.String(length=64), nullable=True))
    op.drop_column('orders', 'carrier')
    op.drop_column('orders', 'tracking_number')


def downgrade():
    op.add_column('orders', sa.Column('carrier', sa.String(length=60), nullable=True))
    op.add_column('orders', sa.Column('tracking_number', sa.String(length=60), nullable=True))
    op.execute("""
        UPDATE orders SET
          carrier = (SELECT max(carrier) FROM order_lines WHERE order_lines.order_id = orders.id),
          tracking_number = (SELECT max(tracking_number) FROM order_lines
                             WHERE order_lines.order_id = orders.id)
    """)
    op.drop_column('orders', 'cart_owner')

    line_columns = ('tracking_number', 'carrier', 'fulfilled_by_id', 'fulfilled_at', 'title_en')
    if _sqlite():  # a column with a reference can only leave with a copy of the table
        with op.batch_alter_table('order_lines', schema=None) as batch_op:
            for name in line_columns:
                batch_op.drop_column(name)
    else:
        op.drop_constraint(FULFILLED_BY_FK, 'order_lines', type_='foreignkey')
        for name in line_columns:
            op.drop_column('order_lines', name)

    op.drop_column('order_events', 'actor_kind')
    for name in PAYMENT_COLUMNS[::-1]:
        op.drop_column('homes', name)
