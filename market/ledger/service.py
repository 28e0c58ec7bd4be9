"""The ledger's use cases. Nothing here commits: the caller's use case commits once.

`post()` is the only writer of journal entries. Amounts are signed fen, debit positive; see
`market/ledger/accounts.py` for the accounts and how balances are read.
"""

from collections.abc import Iterable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, insert, inspect, select

from market import clock
from market.ledger import accounts as codes
from market.ledger import sums
from market.ledger.canonical import account_label, leaf_hash_hex, leaf_object
from models import db
from models.ledger import Account, JournalEntry, Posting

# Entries that move no money: the public audit log of settings (market/ledger/audit.py). They
# have no postings; every other entry has at least one.
NOTE_KINDS = frozenset({"audit"})

LOCK_KEY = 6962  # pg_advisory_xact_lock key: one ledger writer at a time, until commit


class LedgerError(ValueError):
    """A posting the books refuse; the message is translated and safe to show."""


# ---- the core ------------------------------------------------------------------------------

def lock_ledger() -> None:
    """Serialise ledger writers until the end of the transaction.

    The Merkle log needs seq numbers without gaps, in commit order. On PostgreSQL a
    transaction-scoped advisory lock does that; SQLite write transactions are already serial
    (BEGIN IMMEDIATE). Idempotent within a transaction.
    """
    session = db.session()
    if session.info.get("ledger_locked"):
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))
    session.info["ledger_locked"] = True


def _check_code(home_id: int | None, code: str) -> None:
    if home_id is None and not codes.is_platform_code(code):
        raise LedgerError(_("Unknown platform account."))
    if home_id is not None and not codes.is_home_code(code):
        raise LedgerError(_("Unknown home account."))


def account(home_id: int | None, code: str, commodity: str = "CNY") -> Account:
    """The account of a home (or of the platform, home_id None), created on first use."""
    _check_code(home_id, code)
    session = db.session()
    cache = session.info.setdefault("ledger_accounts", {})
    key = (home_id, code, commodity)
    cached = cache.get(key)
    if cached is not None and inspect(cached).persistent and cached in session:
        return cached
    query = select(Account).where(Account.code == code, Account.commodity == commodity)
    query = query.where(Account.home_id.is_(None) if home_id is None else Account.home_id == home_id)
    found = session.scalar(query)
    if found is None:
        lock_ledger()
        found = session.scalar(query)
    if found is None:
        found = Account(home_id=home_id, code=code, commodity=commodity, created_at=clock.now())
        session.add(found)
        session.flush([found])
    cache[key] = found
    return found


def _normalise(postings) -> list[tuple[Account, int, int | None, str | None]]:
    rows = []
    for item in postings:
        if len(item) == 2:
            acct, amount = item
            line, share = None, None
        else:
            acct, amount, line, share = item
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise LedgerError(_("Ledger amounts must be whole fen."))
        if amount != 0:
            rows.append((acct, amount, line, share))
    return rows


def post(*, kind: str, idempotency_key: str, memo: str, postings: Iterable, commodity: str = "CNY",
         home_id: int | None = None, occurred_at: datetime | None = None, order_id: int | None = None,
         refund_id: int | None = None, source_type: str | None = None, source_id: int | None = None,
         category: str | None = None) -> JournalEntry | None:
    """Append one balanced entry; None (and nothing posted) if the key is already taken.

    `postings`: (Account, fen) or (Account, fen, order_line_id, share) tuples; zero amounts
    are dropped. The care-fund summary table (sums.py) is updated in the same transaction.
    Raises LedgerError when empty (except a note of the audit log, which has no postings),
    unbalanced or in mixed commodities.
    """
    rows = _normalise(postings)
    if kind in NOTE_KINDS:
        if rows:
            raise LedgerError(_("An entry of the audit log moves no money."))
    elif not rows:
        raise LedgerError(_("A ledger entry needs at least one non-zero amount."))
    if sum(amount for _a, amount, _l, _s in rows) != 0:
        raise LedgerError(_("A ledger entry must balance: its amounts must add up to zero."))
    if any(acct.commodity != commodity for acct, *_rest in rows):
        raise LedgerError(_("All amounts of a ledger entry must be in the same currency."))
    if not idempotency_key or len(idempotency_key) > 120:
        raise LedgerError(_("A ledger entry needs an idempotency key of at most 120 characters."))
    session = db.session()
    lock_ledger()
    taken = session.scalar(select(JournalEntry.id).where(JournalEntry.idempotency_key == idempotency_key))
    if taken is not None:
        return None
    # Under the ledger lock nobody else appends until we commit, so the next seq can be
    # remembered for the rest of this transaction (forgotten on commit/rollback, log.py).
    seq = session.info.get("ledger_next_seq")
    if seq is None:
        last = session.execute(
            select(JournalEntry.seq, JournalEntry.created_at).order_by(JournalEntry.seq.desc()).limit(1)
        ).first()
        seq = (last[0] + 1) if last else 1
        session.info["ledger_last_time"] = last[1] if last else None
    # The leaf time is when the entry joined the log: it never goes back as seq grows (a clock
    # set back repeats the last time). The business date is `occurred_at`, set by the caller.
    now = clock.now()
    previous = session.info.get("ledger_last_time")
    if previous is not None and previous > now:
        now = previous
    occurred = occurred_at or now
    if occurred.tzinfo is None:
        raise LedgerError(_("Ledger times must carry a time zone."))
    # Truncate to what every database keeps (microseconds), so the hash survives a round trip.
    obj = leaf_object(
        seq=seq, kind=kind, key=idempotency_key, memo=memo, home_id=home_id, commodity=commodity,
        occurred_at=occurred, created_at=now, order_id=order_id, refund_id=refund_id,
        source_type=source_type, source_id=source_id, category=category,
        postings=[(account_label(a.home_id, a.code), amount, line, share) for a, amount, line, share in rows],
    )
    entry = JournalEntry(
        seq=seq, kind=kind, idempotency_key=idempotency_key, memo=memo or "", home_id=home_id,
        commodity=commodity, occurred_at=occurred, created_at=now, order_id=order_id,
        refund_id=refund_id, source_type=source_type, source_id=source_id, category=category,
        leaf_hash=leaf_hash_hex(obj),
    )
    session.add(entry)
    session.flush([entry])
    # Postings go in as one multi-row INSERT (the unit of work per posting object is the
    # slowest part of posting); `entry.postings` loads them on first access.
    if rows:  # an audit entry has none
        session.execute(
            insert(Posting),
            [{"entry_id": entry.id, "account_id": a.id, "amount": amount, "order_line_id": line,
              "share": share} for a, amount, line, share in rows],
        )
    sums.add_entry(entry, rows)
    session.info["ledger_next_seq"] = seq + 1
    session.info["ledger_last_time"] = now
    session.info["ledger_posted"] = True  # a tree head is recorded before commit (log.py)
    return entry


def raw_sum(account_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(Posting.amount), 0)).where(Posting.account_id == account_id)
    )


def balance(acct: Account) -> int:
    """The balance as people read it: positive for what a home has or is owed."""
    if acct.id is None:
        return 0
    total = int(raw_sum(acct.id))
    return -total if codes.is_credit_normal(acct.code) else total


def home_balances(home_id: int, commodity: str = "CNY", *, per_elder: bool = False) -> dict[str, int]:
    """{code: balance} for every home account (0 where nothing was posted), in one query. The
    elders' own incentive accounts count in ``elder_incentive`` (what the home owes its elders),
    unless `per_elder`: then each is its own key and ``elder_incentive`` is the pooled account."""
    rows = db.session.execute(
        select(Account.code, func.coalesce(func.sum(Posting.amount), 0))
        .join(Posting, Posting.account_id == Account.id)
        .where(Account.home_id == home_id, Account.commodity == commodity)
        .group_by(Account.code)
    ).all()
    result = {code: 0 for code in codes.HOME_CODES}
    for code, total in rows:
        amount = -int(total) if codes.is_credit_normal(code) else int(total)
        if codes.is_elder_code(code) and not per_elder:
            result[codes.ELDER_INCENTIVE] += amount
        else:
            result[code] = amount
    return result


def platform_balances(commodity: str = "CNY") -> dict[str, int]:
    rows = db.session.execute(
        select(Account.code, func.coalesce(func.sum(Posting.amount), 0))
        .join(Posting, Posting.account_id == Account.id)
        .where(Account.home_id.is_(None), Account.commodity == commodity)
        .group_by(Account.code)
    ).all()
    result = {code: 0 for code in codes.PLATFORM_CODES}
    for code, total in rows:
        result[code] = -int(total) if codes.is_credit_normal(code) else int(total)
    return result


def entries_for_home(home_id: int):
    """A select() of the entries that touch a home's accounts (or name the home), by seq.

    A sale of an order spanning two homes is one entry; it belongs to both homes' pages.
    """
    touching = (
        select(Posting.entry_id)
        .join(Account, Account.id == Posting.account_id)
        .where(Account.home_id == home_id)
    )
    return select(JournalEntry).where(
        (JournalEntry.home_id == home_id) | JournalEntry.id.in_(touching)
    ).order_by(JournalEntry.seq)


def entry_by_seq(seq: int) -> JournalEntry | None:
    return db.session.scalar(select(JournalEntry).where(JournalEntry.seq == seq))
