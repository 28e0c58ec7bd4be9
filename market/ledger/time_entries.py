"""The time bank's journal entries: commodity TIME, amounts in minutes, each through `post()`.

Every entry here has postings in TIME only (post() refuses a mix), so hours and money never
meet in one entry. Accounts: see `accounts.py` (time:pool, time:person:<id>, time:due_*).

- Service confirmed (`timebank:service:<id>`): the home's pool → the volunteer
  (pool +m, volunteer -m).
- Spent in the person's own home (`timebank:transfer:<id>`): the person → the pool.
- Spent in another home: the person → their home's pool, and the serving home is owed the
  hours by the person's home (serving home's due_from_homes +m, own home's due_to_homes -m).
- Given to an elder of the same home: person → person.
- Dispute upheld (`timebank:dispute:<id>`): the service entry reversed (volunteer → pool).
- Donated to the home's hours reserve (`timebank:transfer:<id>`): person → reserve; allocated by
  the committee (`timebank:allocation:<id>`, four eyes): reserve → person.

None of these commits; each checks that no person's hours go below zero, under the ledger lock.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from market.ledger import accounts as codes
from market.ledger.service import LedgerError, account, balance, lock_ledger, post
from models import db
from models.ledger import Account, JournalEntry, Posting

TIME = codes.TIME


def person_account(home_id: int, person_id: int) -> Account:
    return account(home_id, codes.time_person_code(person_id), TIME)


def pool(home_id: int) -> Account:
    return account(home_id, codes.TIME_POOL, TIME)


def held_minutes(home_id: int, person_id: int) -> int:
    """The minutes a person holds (0 before their first entry); read under the caller's lock."""
    query = (
        select(func.coalesce(func.sum(Posting.amount), 0))
        .join(Account, Account.id == Posting.account_id)
        .where(Account.home_id == home_id, Account.commodity == TIME,
               Account.code == codes.time_person_code(person_id))
    )
    return -int(db.session.scalar(query))


def _minutes(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise LedgerError(_("Hours must be a positive whole number of minutes."))
    return value


def post_service(*, home_id: int, volunteer_id: int, minutes: int, service_id: int, skill: str,
                 occurred_at: datetime) -> JournalEntry | None:
    amount = _minutes(minutes)
    lock_ledger()
    return post(
        kind="time_service", idempotency_key=f"timebank:service:{service_id}",
        memo=f"Time bank: service {service_id} confirmed ({skill}, {amount} min)", home_id=home_id,
        commodity=TIME, occurred_at=occurred_at, source_type="timebank_service", source_id=service_id,
        category=skill,
        postings=[(pool(home_id), amount), (person_account(home_id, volunteer_id), -amount)],
    )


def _take_from(home_id: int, person_id: int, amount: int, spendable: int | None) -> Account:
    """The person's account, once sure the amount leaves it at zero or above (and within
    `spendable`, when the caller limits it further)."""
    acct = person_account(home_id, person_id)
    held = balance(acct)
    limit = held if spendable is None else min(held, spendable)
    if amount > limit:
        raise LedgerError(_("Not enough hours: %(held)s minutes can be spent.", held=max(limit, 0)))
    return acct


def post_redeem(*, home_id: int, person_id: int, serving_home_id: int, minutes: int, transfer_id: int,
                spendable: int | None = None, occurred_at: datetime | None = None) -> JournalEntry | None:
    """Hours spent on a service at `serving_home_id` (the person's own home, or another)."""
    amount = _minutes(minutes)
    lock_ledger()
    holder = _take_from(home_id, person_id, amount, spendable)
    postings = [(holder, amount), (pool(home_id), -amount)]
    if serving_home_id != home_id:
        postings += [(account(serving_home_id, codes.TIME_DUE_FROM, TIME), amount),
                     (account(home_id, codes.TIME_DUE_TO, TIME), -amount)]
    return post(
        kind="time_redeem", idempotency_key=f"timebank:transfer:{transfer_id}",
        memo=f"Time bank: {amount} min spent on a service", home_id=serving_home_id, commodity=TIME,
        occurred_at=occurred_at, source_type="timebank_transfer", source_id=transfer_id,
        category="redeem", postings=postings,
    )


def post_gift(*, home_id: int, person_id: int, to_person_id: int, minutes: int, transfer_id: int,
              spendable: int | None = None, occurred_at: datetime | None = None) -> JournalEntry | None:
    amount = _minutes(minutes)
    if person_id == to_person_id:
        raise LedgerError(_("Hours cannot be given to oneself."))
    lock_ledger()
    giver = _take_from(home_id, person_id, amount, spendable)
    return post(
        kind="time_gift", idempotency_key=f"timebank:transfer:{transfer_id}",
        memo=f"Time bank: {amount} min given to an elder", home_id=home_id, commodity=TIME,
        occurred_at=occurred_at, source_type="timebank_transfer", source_id=transfer_id,
        category="gift", postings=[(giver, amount), (person_account(home_id, to_person_id), -amount)],
    )


def reserve(home_id: int) -> Account:
    return account(home_id, codes.TIME_RESERVE, TIME)


def post_to_reserve(*, home_id: int, person_id: int, minutes: int, transfer_id: int,
                    spendable: int | None = None, occurred_at: datetime | None = None) -> JournalEntry | None:
    """Hours a person donates to their home's reserve."""
    amount = _minutes(minutes)
    lock_ledger()
    giver = _take_from(home_id, person_id, amount, spendable)
    return post(
        kind="time_gift", idempotency_key=f"timebank:transfer:{transfer_id}",
        memo=f"Time bank: {amount} min donated to the home's hours reserve", home_id=home_id,
        commodity=TIME, occurred_at=occurred_at, source_type="timebank_transfer", source_id=transfer_id,
        category="reserve", postings=[(giver, amount), (reserve(home_id), -amount)],
    )


def reserve_minutes(home_id: int) -> int:
    """The minutes in a home's hours reserve (0 before the first gift); creates no account."""
    query = (
        select(func.coalesce(func.sum(Posting.amount), 0))
        .join(Account, Account.id == Posting.account_id)
        .where(Account.home_id == home_id, Account.commodity == TIME, Account.code == codes.TIME_RESERVE)
    )
    return -int(db.session.scalar(query))


def post_allocation(*, home_id: int, to_person_id: int, minutes: int,
                    allocation_id: int) -> JournalEntry | None:
    """Hours the committee allocates from the home's reserve to a person (after four eyes)."""
    amount = _minutes(minutes)
    lock_ledger()
    source = reserve(home_id)
    if amount > balance(source):
        raise LedgerError(_("The hours reserve holds only %(held)s minutes.", held=balance(source)))
    return post(
        kind="time_allocation", idempotency_key=f"timebank:allocation:{allocation_id}",
        memo=f"Time bank: {amount} min allocated from the hours reserve", home_id=home_id, commodity=TIME,
        source_type="timebank_allocation", source_id=allocation_id, category="reserve",
        postings=[(source, amount), (person_account(home_id, to_person_id), -amount)],
    )


def post_reversal(*, home_id: int, volunteer_id: int, minutes: int, dispute_id: int,
                  service_id: int) -> JournalEntry | None:
    """A disputed service's hours taken back (the volunteer must still hold them)."""
    amount = _minutes(minutes)
    lock_ledger()
    holder = _take_from(home_id, volunteer_id, amount, None)
    return post(
        kind="time_reversal", idempotency_key=f"timebank:dispute:{dispute_id}",
        memo=f"Time bank: service {service_id} reversed after a dispute", home_id=home_id,
        commodity=TIME, source_type="timebank_dispute", source_id=dispute_id, category="dispute",
        postings=[(holder, amount), (pool(home_id), -amount)],
    )
