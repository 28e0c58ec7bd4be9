"""Evaluation, continued (issue 20): the homes' roll-up for the admin comparison; review
photos; moderators' decisions on reviews (who, when, why).

Rows are created and filled by the job `impact.refresh_rollups` (or `flask impact rollup`);
until then the comparison reads the monthly summary tables.

Revision ID: 0018_impactroll
Revises: 0017_recognitions
"""
from alembic import op
import sqlalchemy as sa

import models.base


revision = '0018_impactroll'
down_revision = '0017_recognitions'
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
    with op.batch_alter_table('impact_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moderation', sa.String(length=10), server_default='', nullable=False))
    op.create_table('impact_review_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('path', sa.String(length=200), nullable=False),
    sa.Column('thumb_path', sa.String(length=200), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['impact_reviews.id'], name=op.f('fk_impact_review_photos_review_id_impact_reviews')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_impact_review_photos')),
    sa.UniqueConstraint('review_id', 'position', name=op.f('uq_impact_review_photos_review_id'))
    )
    with op.batch_alter_table('impact_review_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_impact_review_photos_review_id'), ['review_id'], unique=False)
    op.create_table('impact_review_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('as_admin', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("action IN ('hide', 'restore')", name=op.f('ck_impact_review_decisions_action')),
    sa.ForeignKeyConstraint(['home_id'], ['homes.id'], name=op.f('fk_impact_review_decisions_home_id_homes')),
    sa.ForeignKeyConstraint(['review_id'], ['impact_reviews.id'], name=op.f('fk_impact_review_decisions_review_id_impact_reviews')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_impact_review_decisions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_impact_review_decisions'))
    )
    with op.batch_alter_table('impact_review_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_impact_review_decisions_home_id'), ['home_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_impact_review_decisions_review_id'), ['review_id'], unique=False)


def downgrade():
    op.drop_table('impact_review_decisions')
    op.drop_table('impact_review_photos')
    with op.batch_alter_table('impact_reviews', schema=None) as batch_op:
        batch_op.drop_column('moderation')
    op.drop_table('impact_rollups')
