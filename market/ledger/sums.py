"""The care-fund summary table (`ledger_care_sums`, `models.ledger.CareSum`).

One row per (home, month in Asia/Shanghai, entry kind, kind sold, category, care-fund account
code, commodity) with the sum of those postings (fen, debit positive) and the number of
entries behind it. `post()` adds each entry with one upsert (INSERT … ON CONFLICT DO UPDATE,
SQLite and PostgreSQL) in the entry's own transaction, under the ledger lock; the public fund
pages read it instead of aggregating postings. `recomputed()` is the same summary aggregated
from the postings, which `verify_ledger()` compares with `stored()`.

Asia/Shanghai has kept +8 hours without daylight saving since 1991, so the month is the UTC
time plus 8 hours, in Python and in SQL alike.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, literal_column, select

from market import hooks
from market.database import insert_on_conflict
from market.ledger.accounts import CARE_AVAILABLE, CARE_PENDING
from models import OrderLine, db
from models.ledger import Account, CareSum, JournalEntry, Posting

CARE_CODES = (CARE_PENDING, CARE_AVAILABLE)
ZONE_HOURS = 8
KEY = ("home_id", "month", "kind", "sold_kind", "category", "code", "commodity")


def month_of(moment: datetime) -> str:
    return (moment.astimezone(UTC) + timedelta(hours=ZONE_HOURS)).strftime("%Y-%m")


def month_sql(column):
    """'YYYY-MM' of a UTC timestamp column in Shanghai time, as literal SQL for the dialect
    (no bound parameters, so GROUP BY repeats exactly the selected expression)."""
    name = f"{column.table.name}.{column.name}"
    if db.engine.dialect.name == "sqlite":
        return literal_column(f"strftime('%Y-%m', {name}, '+{ZONE_HOURS} hours')")
    return literal_column(f"to_char({name} + interval '{ZONE_HOURS} hours', 'YYYY-MM')")


def add_entry(entry: JournalEntry, rows) -> None:
    """Add a just-posted entry's care-fund postings (`rows`: (Account, fen, line id, share))."""
    session = db.session()
    month = month_of(entry.occurred_at)
    totals: dict[tuple, int] = {}
    for acct, amount, line, _share in rows:
        if acct.home_id is None or acct.code not in CARE_CODES:
            continue
        sold = session.get(OrderLine, line).kind if line is not None else ""
        key = (acct.home_id, month, entry.kind, sold, entry.category or "", acct.code, acct.commodity)
        totals[key] = totals.get(key, 0) + amount
    if not totals:
        return
    statement = insert_on_conflict(CareSum.__table__, session).values(
        [dict(zip(KEY, key, strict=True), amount=amount, entries=1) for key, amount in totals.items()]
    )
    table = CareSum.__table__.c
    session.execute(statement.on_conflict_do_update(
        index_elements=list(KEY),
        set_={"amount": table.amount + statement.excluded.amount,
              "entries": table.entries + statement.excluded.entries},
    ))
    hooks.care_posted.send(entry, rows=[(key[0], key[1], key[2], key[5], key[6], amount)
                                        for key, amount in totals.items()])


def _recomputed_query():
    """The summary aggregated from the postings: KEY columns, amount, entries."""
    month = month_sql(JournalEntry.occurred_at)
    sold = func.coalesce(OrderLine.kind, literal_column("''"))
    category = func.coalesce(JournalEntry.category, literal_column("''"))
    return (
        select(Account.home_id, month, JournalEntry.kind, sold, category, Account.code, Account.commodity,
               func.sum(Posting.amount), func.count(func.distinct(Posting.entry_id)))
        .select_from(Posting)
        .join(Account, Account.id == Posting.account_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .outerjoin(OrderLine, OrderLine.id == Posting.order_line_id)
        .where(Account.home_id.is_not(None), Account.code.in_(CARE_CODES))
        .group_by(Account.home_id, month, JournalEntry.kind, sold, category, Account.code, Account.commodity)
    )


def _as_dict(rows) -> dict[tuple, tuple[int, int]]:
    return {tuple(row[:-2]): (int(row[-2]), int(row[-1])) for row in rows}


def stored(session=None) -> dict[tuple, tuple[int, int]]:
    """{KEY values: (amount, entries)} as the table holds them."""
    table = CareSum.__table__.c
    query = select(*(table[name] for name in KEY), table.amount, table.entries)
    return _as_dict((session or db.session()).execute(query))


def recomputed(session=None) -> dict[tuple, tuple[int, int]]:
    """{KEY values: (amount, entries)} aggregated from the postings (one GROUP BY)."""
    return _as_dict((session or db.session()).execute(_recomputed_query()))


def rebuild() -> None:
    """Replace the table's rows by the recomputation, e.g. after entries were written in bulk
    (the benchmarks). Never commits."""
    session = db.session()
    session.execute(delete(CareSum))
    session.execute(insert(CareSum).from_select([*KEY, "amount", "entries"], _recomputed_query()))
