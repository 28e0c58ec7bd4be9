"""A home's entries for a date range as CSV or JSON (with leaf hashes), and the monthly statement.

Dates are days in Asia/Shanghai; `end` is inclusive. Each exported entry carries its `seq`
(position in the Merkle log, leaf index seq-1), its leaf hash and its postings, so anyone can
check an entry against an inclusion proof from `/ledger/entries/<seq>/proof`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import selectinload

from market import clock
from market.fund import public
from market.ledger.public import signed_head_before
from models import Home, db
from models.ledger import Account, CareSum, JournalEntry, Posting

MAX_EXPORT_ROWS = 200_000


def _utc_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    lo = clock.start_of_day(start).astimezone(UTC) if start else None
    hi = clock.start_of_day(end + timedelta(days=1)).astimezone(UTC) if end else None
    return lo, hi


def _entries(home: Home, start: date | None, end: date | None):
    lo, hi = _utc_bounds(start, end)
    from market.ledger.service import entries_for_home

    query = (
        entries_for_home(home.id)
        .options(selectinload(JournalEntry.postings).joinedload(Posting.account))
        .limit(MAX_EXPORT_ROWS)
    )
    if lo is not None:
        query = query.where(JournalEntry.occurred_at >= lo)
    if hi is not None:
        query = query.where(JournalEntry.occurred_at < hi)
    return db.session.scalars(query).yield_per(1000)


def _account_label(account: Account) -> str:
    return account.code if account.home_id is None else f"home:{account.code}"


def entry_record(entry: JournalEntry) -> dict:
    care = -sum(p.amount for p in entry.postings
                if p.account.home_id is not None and p.account.code in public.CARE_CODES)
    return {
        "seq": entry.seq,
        "leaf_index": entry.seq - 1,
        "occurred_at": entry.occurred_at.isoformat(),
        "kind": entry.kind,
        "category": entry.category,
        "memo": entry.memo,
        "commodity": entry.commodity,
        "total_fen": sum(p.amount for p in entry.postings if p.amount > 0),
        "care_fund_change_fen": care,
        "leaf_hash": entry.leaf_hash,
        "postings": [
            {"account": _account_label(p.account), "amount_fen": p.amount, "share": p.share}
            for p in entry.postings
        ],
    }


CSV_FIELDS = ("seq", "occurred_at", "kind", "category", "memo", "commodity", "total_fen",
              "care_fund_change_fen", "leaf_hash", "postings")


def home_csv(home: Home, start: date | None, end: date | None) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for entry in _entries(home, start, end):
        record = entry_record(entry)
        record["postings"] = "; ".join(f"{p['account']} {p['amount_fen']}" for p in record["postings"])
        writer.writerow([_csv_safe(record[name]) for name in CSV_FIELDS])
    return out.getvalue()


def _csv_safe(value):
    """Spreadsheets run cells that start with = + - @ as formulas: quote those."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def home_json(home: Home, start: date | None, end: date | None) -> str:
    """The ledger's own export (`market/ledger/export.py`): each of the home's entries with its
    canonical leaf and its inclusion proof to the current tree head, so tools/verify_export.py
    verifies it. The home's slug and names are added for the reader."""
    from market.ledger.export import entries_as_json

    payload = entries_as_json(home.id, start, end)
    payload["home"] = {"slug": home.slug, "name_zh": home.name_zh, "name_en": home.name_en}
    return json.dumps(payload, ensure_ascii=False, indent=1)


# ---- the monthly statement --------------------------------------------------------------------

@dataclass
class Statement:
    year: int
    month: int
    start: date
    end: date  # inclusive
    opening_pending: int = 0
    opening_available: int = 0
    closing_pending: int = 0
    closing_available: int = 0
    income: dict[str, int] = field(default_factory=dict)
    spending: dict[str, int] = field(default_factory=dict)
    entries: list = field(default_factory=list)
    previous: tuple[int, int] | None = None
    following: tuple[int, int] | None = None
    head: object = None  # the last signed tree head issued in or before the month (noticeboard)

    @property
    def income_total(self) -> int:
        return sum(self.income.values())

    @property
    def spending_total(self) -> int:
        return sum(self.spending.values())


def monthly_statement(home: Home, year: int, month: int) -> Statement:
    start = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    s = Statement(year=year, month=month, start=start, end=following - timedelta(days=1))
    key = public.month_key(start)
    s.opening_pending, s.opening_available = public.care_balances(home.id, CareSum.month < key)
    s.closing_pending, s.closing_available = public.care_balances(home.id, CareSum.month <= key)
    flows = public.care_sums(home.id, CareSum.kind, CareSum.sold_kind, CareSum.category,
                             where=(CareSum.month == key,))
    for kind, sold_kind, category, amount in flows:
        source = public.source_key(kind, sold_kind, category)
        if source is not None:
            s.income[source] = s.income.get(source, 0) - amount
        elif kind == "disbursement":
            cat = category or "other"
            s.spending[cat] = s.spending.get(cat, 0) + amount
    s.entries = [entry_record(e) for e in _entries(home, start, s.end)]
    s.head = signed_head_before(clock.start_of_day(following))
    s.previous = (year - (month == 1), (month - 2) % 12 + 1)
    today = clock.local_today()
    if (following.year, following.month) <= (today.year, today.month):
        s.following = (following.year, following.month)
    return s
