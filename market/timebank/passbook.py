"""Reading the time bank back from the ledger: a person's passbook (存折), every TIME entry on
their account with the running balance and an inclusion proof of the hash recomputed from the
entry's content (never a stored hash echoed), and a home's public totals without names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from market import clock
from market.ledger import accounts as codes
from market.ledger import log
from market.ledger.canonical import entry_leaf_object, leaf_hash_hex
from market.ledger.time_entries import TIME, held_minutes
from models import db
from models.ledger import Account, JournalEntry, Posting
from models.timebank import Service, TimePerson

PASSBOOK_ROWS = 500


@dataclass
class PassbookRow:
    entry: JournalEntry
    minutes: int  # + received, - spent or taken back
    balance: int
    leaf_hash: str  # recomputed from the entry's content
    matches: bool  # the recomputed hash equals the hash it was logged with
    verified: bool | None  # the inclusion proof of the recomputed hash checks (None: no head yet)


def passbook(person: TimePerson) -> list[PassbookRow]:
    rows = db.session.execute(
        select(JournalEntry, Posting.amount)
        .join(Posting, Posting.entry_id == JournalEntry.id)
        .join(Account, Account.id == Posting.account_id)
        .where(Account.home_id == person.home_id, Account.commodity == TIME,
               Account.code == codes.time_person_code(person.id))
        .order_by(JournalEntry.seq).limit(PASSBOOK_ROWS)
    ).all()
    result, running = [], 0
    for entry, amount in rows:
        running -= amount  # credit-normal: a credit (negative) is hours received
        recomputed = leaf_hash_hex(entry_leaf_object(entry))
        proof = log.inclusion_proof(entry.seq, leaf_hash=recomputed)
        result.append(PassbookRow(entry=entry, minutes=-amount, balance=running, leaf_hash=recomputed,
                                  matches=recomputed == entry.leaf_hash,
                                  verified=proof["verified"] if proof else None))
    return result


def held(person: TimePerson) -> int:
    return held_minutes(person.home_id, person.id)


def _month_start(now: datetime, home) -> datetime:
    today = clock.local_today(now, home)
    return clock.start_of_day(today.replace(day=1), home)


@dataclass
class Totals:
    minutes_this_month: int
    people_helped: int
    volunteers_active: int
    minutes_all_time: int
    volunteers: int


def home_totals(home, now: datetime | None = None) -> Totals:
    """Confirmed (not reversed) services of the home: no names, no elder details."""
    since = _month_start(now or clock.now(), home)
    confirmed = (Service.home_id == home.id, Service.status == "confirmed")
    month = db.session.execute(
        select(func.coalesce(func.sum(Service.minutes), 0), func.count(func.distinct(Service.receiver_id)),
               func.count(func.distinct(Service.volunteer_id)))
        .where(*confirmed, Service.ended_at >= since)
    ).one()
    all_time = db.session.scalar(select(func.coalesce(func.sum(Service.minutes), 0)).where(*confirmed))
    volunteers = db.session.scalar(select(func.count(TimePerson.id)).where(
        TimePerson.home_id == home.id, TimePerson.is_volunteer.is_(True)))
    return Totals(minutes_this_month=int(month[0]), people_helped=int(month[1]),
                  volunteers_active=int(month[2]), minutes_all_time=int(all_time), volunteers=int(volunteers))
