"""Facts a traveller expects on a listing: what is included, how to find the meeting point
(directions and a map link).

Revision ID: 0010_buyer
Revises: 0009_governance
"""
from alembic import op
import sqlalchemy as sa

revision = '0010_buyer'
down_revision = '0009_governance'
branch_labels = None
depends_on = None

COLUMNS = (
    ('included_zh', sa.Text()), ('included_en', sa.Text()),
    ('directions_zh', sa.Text()), ('directions_en', sa.Text()),
    ('map_url', sa.String(length=300)),
)


# Plain ALTER TABLE (SQLite 3.35+ drops columns itself): a batch copy of `listings` would drop
# the table that order lines and cart items point at.
def upgrade():
    for name, kind in COLUMNS:
        op.add_column('listings', sa.Column(name, kind, nullable=False, server_default=''))


def downgrade():
    for name, _kind in reversed(COLUMNS):
        op.drop_column('listings', name)
