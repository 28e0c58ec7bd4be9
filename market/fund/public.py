"""Reading the care fund for the public pages: balances, income by source, spending by
category, a monthly series, the entries and the log's tree head.

Balances and flows come from the care-fund summary table (`ledger_care_sums`, see
`market/ledger/sums.py`), which `post()` keeps in the entry's own transaction: a page sums a
few hundred summary rows instead of aggregating the postings. `verify_ledger()` checks the
table against the postings.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import lazyload

from market import clock
from market.ledger.accounts import CARE_AVAILABLE, CARE_PENDING
from market.ledger.audit import AUDIT_KIND
from market.ledger.sums import CARE_CODES
from models import Home, db
from models.ledger import Account, CareSum, JournalEntry, Posting, TreeHead

COMMODITY = "CNY"  # the pages show yuan
PAGE_SIZE = 25
CHART_MONTHS = 12
SALE_KINDS = ("tour", "homestay", "produce", "craft")


# ---- month buckets ---------------------------------------------------------------------------

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


# ---- the care-fund summary table ---------------------------------------------------------------

def care_sums(home_id: int | None, *columns, where=()) -> list[tuple]:
    """(columns…, sum of care-fund postings, debit positive) grouped by `columns`, for one home
    or (home_id None) every home."""
    query = (
        select(*columns, func.sum(CareSum.amount))
        .where(CareSum.commodity == COMMODITY, *where)
        .group_by(*columns)
    )
    if home_id is not None:
        query = query.where(CareSum.home_id == home_id)
    return [(*rest, int(amount)) for *rest, amount in db.session.execute(query)]


def care_balances(home_id: int, *where) -> tuple[int, int]:
    """(pending, available) of a home, optionally only over some months (`where`)."""
    sums = {code: -amount for code, amount in care_sums(home_id, CareSum.code, where=where)}
    return sums.get(CARE_PENDING, 0), sums.get(CARE_AVAILABLE, 0)


def source_key(kind: str, sold_kind: str, category: str) -> str | None:
    """Where care-fund income came from, or None when the movement is not income."""
    if kind in ("sale", "refund"):
        return f"sale:{sold_kind or 'other'}"
    if kind == "donation":
        return "donation"
    if kind == "grant":
        return "grant"
    return None


# ---- the summary a fund page shows ---------------------------------------------------------

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
    def chart_ticks(self) -> list[int]:
        """The y-axis's marks in fen, from 0 up to the first mark at or above the tallest bar."""
        return axis_ticks(max([0] + [max(p.income, p.spending) for p in self.series]))

    @property
    def chart_max(self) -> int:
        return self.chart_ticks[-1]


def axis_ticks(top: int, marks: int = 4) -> list[int]:
    """Round marks (1, 2 or 5 times a power of ten, at least ¥1) from 0 to at or above `top`
    fen, about `marks` steps: 0, ¥50, ¥100, ¥150 for a top of ¥130."""
    step = 100
    while step * marks < top:
        for factor in (2, 5 / 2, 2):  # 1 → 2 → 5 → 10 …
            step = int(step * factor)
            if step * marks >= top:
                break
    count = max(1, -(-top // step))
    return [step * i for i in range(count + 1)]


def summary(home_id: int | None, now: datetime | None = None) -> FundSummary:
    today = clock.local_today(now)
    result = FundSummary(this_month=month_key(today), this_year=f"{today.year:04d}")
    months = last_months(CHART_MONTHS, today)
    points = {m: MonthPoint(m) for m in months}
    balances = dict.fromkeys(CARE_CODES, 0)
    rows = care_sums(home_id, CareSum.month, CareSum.kind, CareSum.sold_kind, CareSum.category, CareSum.code)
    for month, kind, sold_kind, category, code, amount in rows:
        balances[code] -= amount  # credit-normal: the balance people read is -sum
        source = source_key(kind, sold_kind, category)
        if source is not None:
            credit = -amount  # care-fund accounts are credit-normal: money in is a credit
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
    result.pending, result.available = balances[CARE_PENDING], balances[CARE_AVAILABLE]
    return result


def _add(target: dict, key: str, amount: int) -> None:
    target[key] = target.get(key, 0) + amount


def home_balances_table() -> list[tuple[Home, int, int]]:
    """Every active home with its (pending, available) care fund, from the summary table."""
    sums: dict[int, dict[str, int]] = defaultdict(dict)
    for home_id, code, amount in care_sums(None, CareSum.home_id, CareSum.code):
        sums[home_id][code] = -amount
    homes = db.session.scalars(select(Home).where(Home.status == "active").order_by(Home.id))
    return [(h, sums[h.id].get(CARE_PENDING, 0), sums[h.id].get(CARE_AVAILABLE, 0)) for h in homes]


# ---- entries ---------------------------------------------------------------------------------

@dataclass
class EntryRow:
    entry: JournalEntry
    total: int  # the entry's size: the sum of its debits
    care_change: int  # + into the care fund (pending or available), - out of it
    home: Home | None = None  # set on the all-homes page only

    @property
    def day(self) -> str:
        """The entry's local date, ISO (2026-11-22): readable in both languages."""
        return clock.local_today(self.entry.occurred_at).isoformat()


@dataclass
class EntryPage:
    rows: list[EntryRow]
    next_before: int | None  # seq to pass as ?before= for the next (older) page


def entries_page(home_id: int | None, before: int | None = None, per_page: int = PAGE_SIZE) -> EntryPage:
    """Newest first, keyset paginated by seq; amounts computed in SQL per entry."""
    # The money entries: the audit log's entries (no money) have their own section.
    ids_query = select(JournalEntry.id, JournalEntry.seq).where(JournalEntry.kind != AUDIT_KIND)
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
    homes = {}
    if home_id is None:
        home_ids = {e.home_id for e in entries.values()}
        homes = {home.id: home for home in db.session.scalars(select(Home).where(Home.id.in_(home_ids)))}
    rows = []
    for entry_id in ids:
        entry = entries[entry_id]
        total, care_change = sums.get(entry_id, (0, 0))
        rows.append(EntryRow(entry, total, care_change, homes.get(entry.home_id)))
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


def recent_grants(home_id: int, limit: int = 10):
    """Confirmed subsidies and grants, with their documents (public once confirmed)."""
    from models.fund import Grant

    query = (
        select(Grant).where(Grant.home_id == home_id, Grant.status == "confirmed")
        .order_by(Grant.received_on.desc(), Grant.id.desc()).limit(limit)
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


# ---- listings whose care share is not the home's ------------------------------------------

def listing_share_exceptions(home: Home) -> list[tuple[object, int]]:
    """(listing, its care share in bps) for each published listing of the home whose own care
    share differs from the home's default, by title: the page says so instead of claiming one
    rate for every sale."""
    from models.catalog import Listing

    query = (
        select(Listing)
        .where(Listing.home_id == home.id, Listing.status == "published", Listing.care_share_bps.is_not(None),
               Listing.care_share_bps != home.care_share_bps)
        .order_by(Listing.care_share_bps.desc(), Listing.title_zh)
    )
    return [(listing, listing.care_share_bps) for listing in db.session.scalars(query)]
