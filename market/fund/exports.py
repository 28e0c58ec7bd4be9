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

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from market import clock
from market.fund import labels, public
from market.ledger.audit import AUDIT_KIND
from market.ledger.public import signed_head_before
from models import Home, Order, db
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
        .where(JournalEntry.kind != AUDIT_KIND)  # money only: the audit log is on the fund page
        .limit(MAX_EXPORT_ROWS)
    )
    if lo is not None:
        query = query.where(JournalEntry.occurred_at >= lo)
    if hi is not None:
        query = query.where(JournalEntry.occurred_at < hi)
    return db.session.scalars(query).yield_per(1000)


def _account_label(account: Account) -> str:
    return account.code if account.home_id is None else f"home:{account.code}"


def _with_references(entries):
    """(entry, order reference or None), reading the references of each thousand entries at once."""
    batch: list[JournalEntry] = []

    def flush():
        ids = {e.order_id for e in batch if e.order_id is not None}
        query = select(Order.id, Order.reference).where(Order.id.in_(ids))
        refs = dict(db.session.execute(query).all()) if ids else {}
        for item in batch:
            yield item, refs.get(item.order_id)

    for entry in entries:
        batch.append(entry)
        if len(batch) >= 1000:
            yield from flush()
            batch = []
    yield from flush()


def entry_record(entry: JournalEntry, order_reference: str | None = None) -> dict:
    care = -sum(p.amount for p in entry.postings
                if p.account.home_id is not None and p.account.code in public.CARE_CODES)
    local = clock.local(entry.occurred_at)
    return {
        "seq": entry.seq,
        "leaf_index": entry.seq - 1,
        "occurred_at": entry.occurred_at.isoformat(),
        # Beijing time (the home's zone), as every page and export shows it
        "local_day": local.date().isoformat(),
        "local_time": local.strftime("%Y-%m-%d %H:%M"),
        "kind": entry.kind,
        "category": entry.category,
        "memo": entry.memo,
        "order_reference": order_reference,
        "commodity": entry.commodity,
        "total_fen": sum(p.amount for p in entry.postings if p.amount > 0),
        "care_fund_change_fen": care,
        "leaf_hash": entry.leaf_hash,
        "postings": [
            {"account": _account_label(p.account), "code": p.account.code,
             "platform": p.account.home_id is None, "amount_fen": p.amount, "share": p.share}
            for p in entry.postings
        ],
    }


def csv_columns() -> list[str]:
    """The CSV's header in the reader's language (Chinese on Chinese pages)."""
    return [_("No."), _("Date and time (Beijing)"), _("What"), _("Category"), _("Order"),
            _("Amount (yuan)"), _("Care fund change (yuan)"), _("Accounts (yuan, debit +)"), _("Leaf hash")]


def _postings_text(record: dict) -> str:
    parts = []
    for p in record["postings"]:
        owner = _("Platform") if p["platform"] else _("The home")
        parts.append(f"{owner} · {labels.account_name(p['code'])} {labels.yuan(p['amount_fen'])}")
    return "; ".join(parts)


def home_csv(home: Home, start: date | None, end: date | None) -> str:
    """The home's entries as CSV a committee opens in Excel or WPS on a Chinese PC: a UTF-8 byte
    order mark first (without it Excel reads UTF-8 as GBK), headers in the reader's language,
    amounts in yuan with two decimals, times in Beijing time, order references, never ids."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(csv_columns())
    for entry, reference in _with_references(_entries(home, start, end)):
        record = entry_record(entry, reference)
        writer.writerow([
            record["seq"], record["local_time"], _csv_safe(labels.entry_kind(entry.kind)),
            _csv_safe(labels.entry_category(entry.kind, entry.category)), _csv_safe(reference or ""),
            labels.yuan(record["total_fen"]), labels.yuan(record["care_fund_change_fen"]),
            _csv_safe(_postings_text(record)), record["leaf_hash"],
        ])
    return out.getvalue()


def _csv_safe(value):
    """Spreadsheets run cells that start with = + - @ as formulas: quote those (text cells only;
    amounts are written as plain numbers)."""
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
    s.entries = [entry_record(e, ref) for e, ref in _with_references(_entries(home, start, s.end))]
    s.head = signed_head_before(clock.start_of_day(following))
    s.previous = (year - (month == 1), (month - 2) % 12 + 1)
    today = clock.local_today()
    if (following.year, following.month) <= (today.year, today.month):
        s.following = (following.year, following.month)
    return s
