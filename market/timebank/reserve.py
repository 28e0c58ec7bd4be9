"""A home's hours reserve: hours people donate to the home, which the village committee gives to
elders who need more help than they have hours for. Staff propose an allocation; a supervisor of
the home who did not propose it approves (one TIME entry, reserve → person) or rejects."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update

from market import clock
from market.accounts.service import role_in_home
from market.database import use_case
from market.ledger import time_entries
from market.ledger.service import LedgerError
from market.timebank.common import (
    TimeBankError,
    TimeBankForbidden,
    TimeBankNotFound,
    check_minutes,
    home_or_404,
    person_in,
    staff_role,
)
from market.timebank.spending import _holder, _spendable
from models import db
from models.timebank import TimeAllocation, TimeTransfer


def reserve_minutes(home_id: int) -> int:
    return time_entries.reserve_minutes(home_id)


@use_case
def donate(actor, person_id: int, *, minutes: int, now: datetime | None = None) -> TimeTransfer:
    """A person gives hours to their own home's reserve."""
    person = _holder(actor, person_id)
    minutes = check_minutes(minutes)
    spendable = _spendable(person, minutes, now)
    transfer = TimeTransfer(kind="reserve", home_id=person.home_id, person_id=person.id, minutes=minutes,
                            created_by_id=actor.id, created_at=now or clock.now())
    db.session.add(transfer)
    db.session.flush([transfer])
    try:
        entry = time_entries.post_to_reserve(home_id=person.home_id, person_id=person.id, minutes=minutes,
                                             transfer_id=transfer.id, spendable=spendable, occurred_at=now)
    except LedgerError as error:
        raise TimeBankError(str(error)) from None
    transfer.entry_id = entry.id
    db.session.commit()
    return transfer


@use_case
def propose(staff, home_id: int, to_person_id: int, *, minutes: int, reason: str) -> TimeAllocation:
    home = home_or_404(home_id)
    staff_role(staff, home.id)
    person = person_in(home.id, to_person_id)
    minutes = check_minutes(minutes)
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise TimeBankError(_("Say why, in at most 200 characters."))
    if minutes > reserve_minutes(home.id):
        raise TimeBankError(_("The hours reserve holds only %(held)s minutes.",
                              held=reserve_minutes(home.id)))
    allocation = TimeAllocation(home_id=home.id, to_person_id=person.id, minutes=minutes, reason=reason,
                                status="proposed", proposed_by_id=staff.id, created_at=clock.now())
    db.session.add(allocation)
    db.session.commit()
    return allocation


@use_case
def decide(supervisor, home_id: int, allocation_id: int, *, approve: bool) -> TimeAllocation:
    home = home_or_404(home_id)
    role = role_in_home(supervisor, home.id)
    found = db.session.get(TimeAllocation, allocation_id) if isinstance(allocation_id, int) else None
    if role is None or found is None or found.home_id != home.id:
        raise TimeBankNotFound(_("No such allocation in this home."))
    if role != "supervisor":
        raise TimeBankForbidden(_("Only a supervisor of this home can approve an allocation."))
    if found.proposed_by_id == supervisor.id:
        raise TimeBankError(_("Nobody can approve their own proposal. Ask another supervisor."))
    claimed = db.session.execute(
        update(TimeAllocation).where(TimeAllocation.id == found.id, TimeAllocation.status == "proposed")
        .values(status="approved" if approve else "rejected", decided_by_id=supervisor.id,
                decided_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise TimeBankError(_("This allocation was already decided."))
    db.session.refresh(found)
    if approve:
        try:
            entry = time_entries.post_allocation(home_id=home.id, to_person_id=found.to_person_id,
                                                 minutes=found.minutes, allocation_id=found.id)
        except LedgerError as error:
            raise TimeBankError(str(error)) from None
        found.entry_id = entry.id
    db.session.commit()
    return found


def proposed(home_id: int) -> list[TimeAllocation]:
    return list(db.session.scalars(select(TimeAllocation).where(
        TimeAllocation.home_id == home_id, TimeAllocation.status == "proposed").order_by(TimeAllocation.id)))
