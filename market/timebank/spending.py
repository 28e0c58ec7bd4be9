"""Spending stored hours: on a service for oneself or a named family member in any home of the
market (hours from another home settle between the two homes' time accounts), or as a gift of
hours to an elder of one's own home. Only hours past the 7-day dispute window can be spent, and
never more than a person holds: the read and the posting happen under the ledger lock, so two
spendings of the last hour at once cannot both succeed."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from market import clock
from market.database import use_case
from market.ledger import time_entries
from market.ledger.service import LedgerError, lock_ledger
from market.timebank.common import (
    TimeBankError,
    TimeBankNotFound,
    check_minutes,
    home_or_404,
    may_act_for,
    person_in,
    spendable_minutes,
)
from models import db
from models.timebank import TimePerson, TimeTransfer


def _holder(actor, person_id) -> TimePerson:
    person = db.session.get(TimePerson, person_id) if isinstance(person_id, int) else None
    if person is None or not may_act_for(actor, person):
        raise TimeBankNotFound(_("No such person in the time bank for you."))
    return person


def _spendable(person: TimePerson, minutes: int, now: datetime | None) -> int:
    lock_ledger()  # before reading: nobody else spends these hours until we commit
    spendable = spendable_minutes(person, now)
    if minutes > spendable:
        raise TimeBankError(_("Not enough hours: %(minutes)s minutes can be spent now (hours from the "
                              "last 7 days can be spent once nobody can dispute them).", minutes=spendable))
    return spendable


@use_case
def redeem(actor, person_id: int, *, serving_home_id: int, minutes: int, what: str, beneficiary: str = "",
           now: datetime | None = None) -> TimeTransfer:
    person = _holder(actor, person_id)
    serving = home_or_404(serving_home_id)
    minutes = check_minutes(minutes)
    what, beneficiary = (what or "").strip(), (beneficiary or "").strip()
    if not what or len(what) > 200:
        raise TimeBankError(_("Say what help the hours are for, in at most 200 characters."))
    if len(beneficiary) > 60:
        raise TimeBankError(_("The family member's name is too long (at most 60 characters)."))
    spendable = _spendable(person, minutes, now)
    transfer = TimeTransfer(kind="redeem", home_id=serving.id, person_id=person.id, beneficiary=beneficiary,
                            what=what, minutes=minutes, created_by_id=actor.id, created_at=now or clock.now())
    db.session.add(transfer)
    db.session.flush([transfer])
    try:
        entry = time_entries.post_redeem(home_id=person.home_id, person_id=person.id,
                                         serving_home_id=serving.id, minutes=minutes,
                                         transfer_id=transfer.id, spendable=spendable, occurred_at=now)
    except LedgerError as error:
        raise TimeBankError(str(error)) from None
    transfer.entry_id = entry.id
    db.session.commit()
    return transfer


@use_case
def give(actor, person_id: int, to_person_id: int, *, minutes: int,
         now: datetime | None = None) -> TimeTransfer:
    """Hours given to an elder of the giver's own home."""
    person = _holder(actor, person_id)
    elder = person_in(person.home_id, to_person_id)
    if elder.id == person.id:
        raise TimeBankError(_("Hours cannot be given to oneself."))
    minutes = check_minutes(minutes)
    spendable = _spendable(person, minutes, now)
    transfer = TimeTransfer(kind="gift", home_id=person.home_id, person_id=person.id, to_person_id=elder.id,
                            minutes=minutes, created_by_id=actor.id, created_at=now or clock.now())
    db.session.add(transfer)
    db.session.flush([transfer])
    try:
        entry = time_entries.post_gift(home_id=person.home_id, person_id=person.id, to_person_id=elder.id,
                                       minutes=minutes, transfer_id=transfer.id, spendable=spendable,
                                       occurred_at=now)
    except LedgerError as error:
        raise TimeBankError(str(error)) from None
    transfer.entry_id = entry.id
    db.session.commit()
    return transfer


def served_here(home_id: int, limit: int = 50) -> list[TimeTransfer]:
    """Hours spent on services at this home (by its own people or visitors): what to arrange."""
    return list(db.session.scalars(
        select(TimeTransfer).where(TimeTransfer.home_id == home_id, TimeTransfer.kind == "redeem")
        .order_by(TimeTransfer.id.desc()).limit(limit)))
