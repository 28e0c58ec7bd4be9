"""Reading the care fund for the public pages: balances, income by source, spending by
category, a monthly series, the entries and the log's tree head. Aggregation happens in SQL
(one GROUP BY over the care-fund postings, by month, entry kind, sold kind and category).

The ledger is append-only, so a month's totals over entries up to a given `seq` never change.
`_monthly_rows` keeps, per process, the grouped totals it has already read with the highest
`seq` it covered, and on the next read only aggregates the entries appended since (an index
range on (home_id, seq)). The first read of a home is a full GROUP BY; later ones touch only
new entries.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal_column, select
from sqlalchemy.orm import lazyload

from market.ledger.accounts import CARE_AVAILABLE, CARE_PENDING
from models import Home, OrderLine, db, utcnow
from models.ledger import Account, JournalEntry, Posting, TreeHead

CARE_CODES = (CARE_PENDING, CARE_AVAILABLE)
ZONE = ZoneInfo("Asia/Shanghai")  # no daylight saving: a fixed +8 hours in SQL is exact
ZONE_HOURS = 8
PAGE_SIZE = 25
CHART_MONTHS = 12
TAIL_BY_ID = 5000  # entries appended since the cached sums: aggregated by id
SALE_KINDS = ("tour", "homestay", "produce", "craft")


# ---- month buckets ---------------------------------------------------------------------------

def _month_expr(column):
    """'YYYY-MM' of a UTC timestamp column, in Shanghai time, for the current dialect."""
    dialect = db.engine.dialect.name
    name = f"{column.table.name}.{column.name}"
    # Literal SQL (no bound parameters), so GROUP BY repeats exactly the selected expression.
    if dialect == "sqlite":
        return literal_column(f"strftime('%Y-%m', {name}, '+{ZONE_HOURS} hours')")
    return literal_column(f"to_char({name} + interval '{ZONE_HOURS} hours', 'YYYY-MM')")


def local_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(ZONE).date()


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def last_months(count: int, today: date) -> list[str]:
    year, month = today.year, today.month
    keys = []
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(keys))


# ---- the grouped care-fund movements, cached by log position -------------------------------

_cache: dict[tuple[str, object], tuple[int, str | None, dict]] = {}  # (db, home) → (seq, leaf, sums)
_cache_lock = threading.Lock()


def _grouped_query(home_id: int | None, after_seq: int, upto_seq: int):
    """(month, entry kind, sold kind, category, sum of care-fund postings) for entries in
    (after_seq, upto_seq], for one home or (home_id None) every home."""
    month = _month_expr(JournalEntry.occurred_at).label("month")
    sold_kind = func.coalesce(OrderLine.kind, literal_column("''")).label("sold_kind")
    category = func.coalesce(JournalEntry.category, literal_column("''")).label("category")
    query = (
        select(month, JournalEntry.kind, sold_kind, category, Account.code, Account.home_id,
               func.sum(Posting.amount))
        .select_from(JournalEntry)
        .join(Posting, Posting.entry_id == JournalEntry.id)
        .join(Account, Account.id == Posting.account_id)
        .outerjoin(OrderLine, OrderLine.id == Posting.order_line_id)
        .where(Account.code.in_(CARE_CODES))
        .group_by(month, JournalEntry.kind, sold_kind, category, Account.code, Account.home_id)
    )
    if after_seq and upto_seq - after_seq <= TAIL_BY_ID:
        # A short tail: name its entries, so the plan starts from them (by primary key) and
        # never from the accounts' 100,000s of postings.
        ids = list(db.session.scalars(
            select(JournalEntry.id).where(JournalEntry.seq > after_seq, JournalEntry.seq <= upto_seq)
        ))
        query = query.where(JournalEntry.id.in_(ids or [-1]), Posting.entry_id.in_(ids or [-1]))
    else:
        query = query.where(JournalEntry.seq > after_seq, JournalEntry.seq <= upto_seq)
    # By the accounts, not JournalEntry.home_id: a sale spanning two homes names neither.
    if home_id is not None:
        query = query.where(Account.home_id == home_id)
    else:
        query = query.where(Account.home_id.is_not(None))
    return query


def _db_key() -> str:
    return str(db.engine.url)


def _leaf_at(seq: int) -> str | None:
    if seq == 0:
        return ""
    return db.session.scalar(select(JournalEntry.leaf_hash).where(JournalEntry.seq == seq))


def _monthly_rows(home_id: int | None) -> dict[tuple[str, str, str, str], int]:
    """{(month, kind, sold_kind, category): sum of care-fund postings (debit positive)}."""
    totals: dict[tuple[str, str, str, str], int] = {}
    for (month, kind, sold_kind, category, _code, _home), amount in _grouped_rows(home_id).items():
        group = (month, kind, sold_kind, category)
        totals[group] = totals.get(group, 0) + amount
    return totals


def _grouped_rows(home_id: int | None) -> dict[tuple[str, str, str, str, str, int], int]:
    """{(month, kind, sold_kind, category, account code, home id): sum of care-fund postings}."""
    head_seq = db.session.scalar(select(func.coalesce(func.max(JournalEntry.seq), 0)))
    key = (_db_key(), home_id)
    with _cache_lock:
        cached = _cache.get(key)
    covered, totals = 0, {}
    # Reuse only if the log still holds the very leaf the cache ended at (a database that was
    # emptied and refilled has other leaves at the same positions).
    if cached and cached[0] <= head_seq and _leaf_at(cached[0]) == cached[1]:
        covered, totals = cached[0], cached[2]
    if covered == head_seq:
        return totals
    merged = dict(totals)
    for month, kind, sold_kind, category, code, owner, amount in db.session.execute(
        _grouped_query(home_id, covered, head_seq)
    ):
        group = (month, kind, sold_kind or "", category or "", code, owner)
        merged[group] = merged.get(group, 0) + int(amount or 0)
    with _cache_lock:
        _cache[key] = (head_seq, _leaf_at(head_seq), merged)
        if len(_cache) > 512:
            _cache.pop(next(iter(_cache)))
    return merged


def forget_cache() -> None:
    with _cache_lock:
        _cache.clear()


# ---- the summary a fund page shows ---------------------------------------------------------

def source_key(kind: str, sold_kind: str, category: str) -> str | None:
    """Where care-fund income came from, or None when the movement is not income."""
    if kind in ("sale", "refund"):
        return f"sale:{sold_kind or 'other'}"
    if kind == "donation":
        return "donation"
    if kind == "grant":
        return "grant"
    return None


@dataclass
class MonthPoint:
    month: str
    income: int = 0
    spending: int = 0


@dataclass
class FundSummary:
    pending: int = 0
    available: int = 0
    spent_total: int = 0
    income_month: dict[str, int] = field(default_factory=dict)
    income_year: dict[str, int] = field(default_factory=dict)
    income_total: dict[str, int] = field(default_factory=dict)
    spending_year: dict[str, int] = field(default_factory=dict)
    spending_total: dict[str, int] = field(default_factory=dict)
    series: list[MonthPoint] = field(default_factory=list)
    this_month: str = ""
    this_year: str = ""

    @property
    def income_month_total(self) -> int:
        return sum(self.income_month.values())

    @property
    def income_year_total(self) -> int:
        return sum(self.income_year.values())

    @property
    def spending_year_total(self) -> int:
        return sum(self.spending_year.values())

    @property
    def chart_max(self) -> int:
        return max([1] + [max(p.income, p.spending) for p in self.series])


def summary(home_id: int | None, now: datetime | None = None) -> FundSummary:
    today = local_today(now)
    result = FundSummary(this_month=month_key(today), this_year=f"{today.year:04d}")
    months = last_months(CHART_MONTHS, today)
    points = {m: MonthPoint(m) for m in months}
    grouped = _grouped_rows(home_id)
    balances = {code: 0 for code in CARE_CODES}
    by_group: dict[tuple[str, str, str, str], int] = {}
    for (month, kind, sold_kind, category, code, _home), amount in grouped.items():
        balances[code] -= amount  # credit-normal: the balance people read is -sum
        key = (month, kind, sold_kind, category)
        by_group[key] = by_group.get(key, 0) + amount
    for (month, kind, sold_kind, category), amount in by_group.items():
        credit = -amount  # care-fund accounts are credit-normal: money in is a credit
        source = source_key(kind, sold_kind, category)
        if source is not None:
            _add(result.income_total, source, credit)
            if month.startswith(result.this_year):
                _add(result.income_year, source, credit)
            if month == result.this_month:
                _add(result.income_month, source, credit)
            if month in points:
                points[month].income += credit
        elif kind == "disbursement":
            spent = amount  # a debit of the care fund
            cat = category or "other"
            _add(result.spending_total, cat, spent)
            result.spent_total += spent
            if month.startswith(result.this_year):
                _add(result.spending_year, cat, spent)
            if month in points:
                points[month].spending += spent
    result.series = [points[m] for m in months]
    # Balances from the same (cached, append-only) sums: equal to SUM over the accounts.
    result.pending, result.available = balances[CARE_PENDING], balances[CARE_AVAILABLE]
    return result


def _add(target: dict, key: str, amount: int) -> None:
    target[key] = target.get(key, 0) + amount


def home_balances_table() -> list[tuple[Home, int, int]]:
    """Every active home with its (pending, available) care fund, from the platform-wide sums."""
    sums: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (_m, _k, _s, _c, code, home_id), amount in _grouped_rows(None).items():
        sums[home_id][code] -= amount
    homes = db.session.scalars(select(Home).where(Home.status == "active").order_by(Home.id))
    return [(h, sums[h.id].get(CARE_PENDING, 0), sums[h.id].get(CARE_AVAILABLE, 0)) for h in homes]


# ---- entries ---------------------------------------------------------------------------------

@dataclass
class EntryRow:
    entry: JournalEntry
    total: int  # the entry's size: the sum of its debits
    care_change: int  # + into the care fund (pending or available), - out of it
    home_slug: str | None = None

    @property
    def day(self) -> str:
        """The entry's date in Shanghai, ISO (2026-11-22): readable in both languages."""
        return self.entry.occurred_at.astimezone(ZONE).date().isoformat()


@dataclass
class EntryPage:
    rows: list[EntryRow]
    next_before: int | None  # seq to pass as ?before= for the next (older) page


def entries_page(home_id: int | None, before: int | None = None, per_page: int = PAGE_SIZE) -> EntryPage:
    """Newest first, keyset paginated by seq; amounts computed in SQL per entry."""
    ids_query = select(JournalEntry.id, JournalEntry.seq)
    if before is not None:
        ids_query = ids_query.where(JournalEntry.seq < before)
    if home_id is not None:
        # The home's own entries, plus entries naming no single home (an order spanning two
        # homes) that post to this home's accounts: two index range scans, merged.
        touching = (
            select(Posting.id).join(Account, Account.id == Posting.account_id)
            .where(Posting.entry_id == JournalEntry.id, Account.home_id == home_id)
        )
        queries = [ids_query.where(JournalEntry.home_id == home_id),
                   ids_query.where(JournalEntry.home_id.is_(None), touching.exists())]
    else:
        queries = [ids_query]
    found = []
    for query in queries:
        # Ordering by (home_id, seq) lets the (home_id, seq) index serve the range and order.
        order = (JournalEntry.seq.desc(),) if home_id is None else (JournalEntry.home_id.desc(),
                                                                    JournalEntry.seq.desc())
        found += db.session.execute(query.order_by(*order).limit(per_page + 1)).all()
    found.sort(key=lambda row: row.seq, reverse=True)
    found = found[: per_page + 1]
    has_more = len(found) > per_page
    found = found[:per_page]
    if not found:
        return EntryPage([], None)
    ids = [row.id for row in found]
    care = case((and_(Account.code.in_(CARE_CODES), Account.home_id.is_not(None)), Posting.amount), else_=0)
    debit = case((Posting.amount > 0, Posting.amount), else_=0)
    sums = {
        entry_id: (int(total), -int(care_sum))
        for entry_id, total, care_sum in db.session.execute(
            select(Posting.entry_id, func.sum(debit), func.sum(care))
            .join(Account, Account.id == Posting.account_id)
            .where(Posting.entry_id.in_(ids))
            .group_by(Posting.entry_id)
        )
    }
    entries = {
        e.id: e for e in db.session.scalars(
            select(JournalEntry).where(JournalEntry.id.in_(ids)).options(lazyload(JournalEntry.postings))
        )
    }
    slugs = {}
    if home_id is None:
        home_ids = {e.home_id for e in entries.values()}
        slugs = dict(db.session.execute(select(Home.id, Home.slug).where(Home.id.in_(home_ids))).all())
    rows = []
    for entry_id in ids:
        entry = entries[entry_id]
        total, care_change = sums.get(entry_id, (0, 0))
        rows.append(EntryRow(entry, total, care_change, slugs.get(entry.home_id)))
    return EntryPage(rows, found[-1].seq if has_more else None)


def tree_head() -> TreeHead | None:
    return db.session.scalar(select(TreeHead).order_by(TreeHead.size.desc(), TreeHead.id.desc()).limit(1))


def log_size() -> int:
    return db.session.scalar(select(func.coalesce(func.max(JournalEntry.seq), 0)))


# ---- approved disbursements with receipts, donors who chose to be named --------------------

def recent_spending(home_id: int, limit: int = 10):
    from models.fund import Disbursement

    query = (
        select(Disbursement)
        .where(Disbursement.home_id == home_id, Disbursement.status == "approved")
        .order_by(Disbursement.decided_at.desc(), Disbursement.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def recent_donations(home_id: int, limit: int = 10):
    from models.fund import Donation

    query = (
        select(Donation)
        .where(Donation.home_id == home_id, Donation.status == "received")
        .order_by(Donation.confirmed_at.desc(), Donation.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
