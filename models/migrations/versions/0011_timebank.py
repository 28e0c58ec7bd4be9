"""The time bank: people, service requests, services, hours spent or given, disputes.

Revision ID: 0011_timebank
Revises: 0010_buyer
"""
from alembic import op
import sqlalchemy as sa
import models.base

revision = '0011_timebank'
down_revision = '0010_buyer'
branch_labels = None
depends_on = None


# The time bank's commodity is "TIME": commodity columns widen from 3 to 8 characters.
WIDENED = ("ledger_accounts", "ledger_entries", "ledger_care_sums")


def _commodity_length(length: int) -> None:
    old = 11 - length
    if op.get_bind().dialect.name == "postgresql":
        for table in WIDENED:
            op.alter_column(table, "commodity", type_=sa.String(length=length),
                            existing_type=sa.String(length=old), existing_nullable=False)
        return
    # SQLite keeps no length, so only the declared type changes. Rebuilding the ledger tables
    # (batch mode) would trip the foreign keys of their postings; the declaration is edited in
    # place instead, as SQLite documents for changes that leave the stored rows as they are.
    op.execute("PRAGMA writable_schema=ON")
    for table in WIDENED:
        op.execute(sa.text(
            "UPDATE sqlite_master SET sql = replace(sql, 'commodity VARCHAR(%d)', 'commodity VARCHAR(%d)') "
            "WHERE type = 'table' AND name = :name" % (old, length)).bindparams(name=table))
    version = op.get_bind().exec_driver_sql("PRAGMA schema_version").scalar()
    op.execute(f"PRAGMA schema_version={int(version) + 1}")
    op.execute("PRAGMA writable_schema=OFF")


def upgrade():
    _commodity_length(8)
    op.create_table('timebank_people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('village', sa.String(length=60), nullable=False),
    sa.Column('skills', sa.String(length=200), nullable=False),
    sa.Column('availability', sa.String(length=120), nullable=False),
    sa.Column('is_volunteer', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_timebank_people_created_by_id_users')),
    sa.ForeignKeyConstraint(['home_id'], ['homes.id'], name=op.f('fk_timebank_people_home_id_homes')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_timebank_people_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timebank_people')),
    sa.UniqueConstraint('home_id', 'user_id', name=op.f('uq_timebank_people_home_id'))
    )
    with op.batch_alter_table('timebank_people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timebank_people_home_id'), ['home_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_timebank_people_user_id'), ['user_id'], unique=False)

    op.create_table('timebank_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('elder_id', sa.Integer(), nullable=False),
    sa.Column('skill', sa.String(length=20), nullable=False),
    sa.Column('what', sa.String(length=200), nullable=False),
    sa.Column('wanted_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('place', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=True),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['elder_id'], ['timebank_people.id'], name=op.f('fk_timebank_requests_elder_id_timebank_people')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_timebank_requests_entered_by_id_users')),
    sa.ForeignKeyConstraint(['home_id'], ['homes.id'], name=op.f('fk_timebank_requests_home_id_homes')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['timebank_people.id'], name=op.f('fk_timebank_requests_volunteer_id_timebank_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timebank_requests'))
    )
    with op.batch_alter_table('timebank_requests', schema=None) as batch_op:
        batch_op.create_index('ix_timebank_requests_home_status', ['home_id', 'status'], unique=False)

    op.create_table('timebank_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('to_person_id', sa.Integer(), nullable=True),
    sa.Column('beneficiary', sa.String(length=60), nullable=False),
    sa.Column('what', sa.String(length=200), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('minutes > 0', name=op.f('ck_timebank_transfers_minutes_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_timebank_transfers_created_by_id_users')),
    sa.ForeignKeyConstraint(['home_id'], ['homes.id'], name=op.f('fk_timebank_transfers_home_id_homes')),
    sa.ForeignKeyConstraint(['person_id'], ['timebank_people.id'], name=op.f('fk_timebank_transfers_person_id_timebank_people')),
    sa.ForeignKeyConstraint(['to_person_id'], ['timebank_people.id'], name=op.f('fk_timebank_transfers_to_person_id_timebank_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timebank_transfers'))
    )
    with op.batch_alter_table('timebank_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timebank_transfers_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_timebank_transfers_home_id'), ['home_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_timebank_transfers_person_id'), ['person_id'], unique=False)

    op.create_table('timebank_services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('receiver_id', sa.Integer(), nullable=False),
    sa.Column('skill', sa.String(length=20), nullable=False),
    sa.Column('started_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('ended_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('logged_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('on_behalf', sa.Boolean(), nullable=False),
    sa.Column('confirmed_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('ended_at > started_at', name=op.f('ck_timebank_services_ends_after_start')),
    sa.CheckConstraint('minutes > 0', name=op.f('ck_timebank_services_minutes_positive')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_timebank_services_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['home_id'], ['homes.id'], name=op.f('fk_timebank_services_home_id_homes')),
    sa.ForeignKeyConstraint(['logged_by_id'], ['users.id'], name=op.f('fk_timebank_services_logged_by_id_users')),
    sa.ForeignKeyConstraint(['receiver_id'], ['timebank_people.id'], name=op.f('fk_timebank_services_receiver_id_timebank_people')),
    sa.ForeignKeyConstraint(['request_id'], ['timebank_requests.id'], name=op.f('fk_timebank_services_request_id_timebank_requests')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['timebank_people.id'], name=op.f('fk_timebank_services_volunteer_id_timebank_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timebank_services'))
    )
    with op.batch_alter_table('timebank_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timebank_services_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index('ix_timebank_services_home_status', ['home_id', 'status'], unique=False)
        batch_op.create_index('ix_timebank_services_volunteer_start', ['volunteer_id', 'started_at'], unique=False)

    op.create_table('timebank_disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=False),
    sa.Column('decided_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('decided_by_id IS NULL OR decided_by_id <> opened_by_id', name=op.f('ck_timebank_disputes_four_eyes')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_timebank_disputes_decided_by_id_users')),
    sa.ForeignKeyConstraint(['home_id'], ['homes.id'], name=op.f('fk_timebank_disputes_home_id_homes')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_timebank_disputes_opened_by_id_users')),
    sa.ForeignKeyConstraint(['service_id'], ['timebank_services.id'], name=op.f('fk_timebank_disputes_service_id_timebank_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timebank_disputes')),
    sa.UniqueConstraint('service_id', name=op.f('uq_timebank_disputes_service_id'))
    )
    with op.batch_alter_table('timebank_disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timebank_disputes_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_timebank_disputes_home_id'), ['home_id'], unique=False)
    op.create_table('timebank_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('to_person_id', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('decided_by_id IS NULL OR decided_by_id <> proposed_by_id', name=op.f('ck_timebank_allocations_four_eyes')),
    sa.CheckConstraint('minutes > 0', name=op.f('ck_timebank_allocations_minutes_positive')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_timebank_allocations_decided_by_id_users')),
    sa.ForeignKeyConstraint(['home_id'], ['homes.id'], name=op.f('fk_timebank_allocations_home_id_homes')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_timebank_allocations_proposed_by_id_users')),
    sa.ForeignKeyConstraint(['to_person_id'], ['timebank_people.id'], name=op.f('fk_timebank_allocations_to_person_id_timebank_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timebank_allocations'))
    )
    with op.batch_alter_table('timebank_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timebank_allocations_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_timebank_allocations_home_id'), ['home_id'], unique=False)


def downgrade():
    with op.batch_alter_table('timebank_allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timebank_allocations_home_id'))
        batch_op.drop_index(batch_op.f('ix_timebank_allocations_entry_id'))

    op.drop_table('timebank_allocations')
    with op.batch_alter_table('timebank_disputes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timebank_disputes_home_id'))
        batch_op.drop_index(batch_op.f('ix_timebank_disputes_entry_id'))

    op.drop_table('timebank_disputes')
    with op.batch_alter_table('timebank_services', schema=None) as batch_op:
        batch_op.drop_index('ix_timebank_services_volunteer_start')
        batch_op.drop_index('ix_timebank_services_home_status')
        batch_op.drop_index(batch_op.f('ix_timebank_services_entry_id'))

    op.drop_table('timebank_services')
    with op.batch_alter_table('timebank_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timebank_transfers_person_id'))
        batch_op.drop_index(batch_op.f('ix_timebank_transfers_home_id'))
        batch_op.drop_index(batch_op.f('ix_timebank_transfers_entry_id'))

    op.drop_table('timebank_transfers')
    with op.batch_alter_table('timebank_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_timebank_requests_home_status')

    op.drop_table('timebank_requests')
    with op.batch_alter_table('timebank_people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timebank_people_user_id'))
        batch_op.drop_index(batch_op.f('ix_timebank_people_home_id'))

    op.drop_table('timebank_people')
    _commodity_length(3)
