"""Evaluation, continued (issue 20): the homes' roll-up for the admin comparison.

Rows are created and filled by the job `impact.refresh_rollups` (or `flask impact rollup`);
until then the comparison reads the monthly summary tables.

Revision ID: 0018_impactroll
Revises: 0012_impact
"""
from alembic import op
import sqlalchemy as sa


revision = '0018_impactroll'
down_revision = '0012_impact'
branch_labels = None
depends_on = None

FIGURES = ("elders_now", "meal", "delivered", "visit", "attendance", "survey_count", "survey_points",
           "review_count", "review_stars", "sales", "care_income", "care_spent", "care_available")


def upgrade():
    op.create_table('impact_rollups',
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    *(sa.Column(name, sa.BigInteger(), nullable=False) for name in FIGURES),
    sa.ForeignKeyConstraint(['home_id'], ['homes.id'], name=op.f('fk_impact_rollups_home_id_homes')),
    sa.PrimaryKeyConstraint('home_id', name=op.f('pk_impact_rollups'))
    )


def downgrade():
    op.drop_table('impact_rollups')
