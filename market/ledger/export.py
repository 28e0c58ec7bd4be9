"""The JSON export of ledger entries, from which anyone can recompute the Merkle root.

`entries_as_json(home_id=None, start=None, end=None)` returns::

    {
      "format": "mutual-aid-ledger/1",
      "hashing": "RFC 6962: leaf = SHA-256(0x00 || canonical leaf), node = SHA-256(0x01 || l || r)",
      "canonical": "JSON of `leaf`, keys sorted, separators (',', ':'), UTF-8, ensure_ascii=False",
      "generated_at": "…", "home_id": 3 | null, "start": "…" | null, "end": "…" | null,
      "complete": true,          # every entry 1..tree_head.size is included
      "tree_head": {"size": 1234, "root": "<hex>", "log_id": "<hex>", "timestamp": "…Z",
                    "signature": "<hex>", "created_at": "…"},      # signed: see signing.py
      "entries": [
        {"seq": 17, "leaf_index": 16, "leaf_hash": "<hex>",
         "leaf": {…the canonical object, see canonical.py…},
         "lines": {"31": {"kind": "tour", "amount_fen": 6000, "care_share_bps": 2000,
                          "incentive_bps": 500, "platform_fee_bps": 500}},   # to re-check each split
         "inclusion_proof": ["<hex>", …]}      # only when "complete" is false
      ]
    }

`stream_complete()` writes the complete export piece by piece (GET /ledger/export.json), so the
books of every home download without being held in memory as one document.

A complete export (no home, no dates) carries every leaf, so the root is recomputed from the
leaves alone; a partial one (a home's entries, a date range) carries each entry's audit path
to the tree head instead. tools/verify_export.py (stdlib only) checks both.
Amounts in `leaf.postings` are fen, debit positive; home accounts are credit-normal.
"""

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import or_, select

from market import clock
from market.ledger import log
from market.ledger.stream import A, E, P, iter_entries, load_accounts
from models import OrderLine, db

FORMAT = "mutual-aid-ledger/1"


def _bound(value, end: bool):
    """A date is a whole day in the home's time zone (an end date is inclusive); a datetime is exact."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the export")
        return value.astimezone(UTC)
    if isinstance(value, date):
        day = value + timedelta(days=1) if end else value
        return clock.start_of_day(day).astimezone(UTC)
    raise TypeError("start and end are dates or aware datetimes")


def home_filter(home_id: int):
    """Entries that name the home or post to one of its accounts (a Core clause)."""
    touching = select(P.c.entry_id).join(A, A.c.id == P.c.account_id).where(A.c.home_id == home_id)
    return or_(E.c.home_id == home_id, E.c.id.in_(touching))


def entries_as_json(home_id: int | None = None, start=None, end=None) -> dict:
    head = log.latest_head()
    size = head.size if head else 0
    lo, hi = _bound(start, False), _bound(end, True)
    conditions = []
    if home_id is not None:
        conditions.append(home_filter(home_id))
    if lo is not None:
        conditions.append(E.c.occurred_at >= lo)
    if hi is not None:
        conditions.append(E.c.occurred_at < hi)
    complete = not conditions
    clause = None
    for condition in conditions:
        clause = condition if clause is None else clause & condition
    tree = None if complete else log.current_tree()
    accounts, lines = load_accounts(), line_facts()
    rows = []
    for entry in iter_entries(entry_filter=clause, upto_seq=size):
        row = _row(entry, accounts, lines)
        if tree is not None:
            row["inclusion_proof"] = [h.hex() for h in tree.inclusion_proof(entry.seq - 1, size)]
        rows.append(row)
    return _meta(head, home_id, lo, hi, complete) | {"entries": rows}


def line_facts() -> dict[int, dict]:
    """What re-checks a split, per order line named by a posting: kind sold, amount and rates."""
    used = select(P.c.order_line_id).where(P.c.order_line_id.is_not(None))
    rows = db.session.execute(
        select(OrderLine.id, OrderLine.kind, OrderLine.amount_fen, OrderLine.care_share_bps,
               OrderLine.incentive_bps, OrderLine.platform_fee_bps).where(OrderLine.id.in_(used))
    )
    return {r[0]: {"kind": r[1], "amount_fen": r[2], "care_share_bps": r[3], "incentive_bps": r[4],
                   "platform_fee_bps": r[5]} for r in rows}


def _row(entry, accounts, lines) -> dict:
    row = {"seq": entry.seq, "leaf_index": entry.seq - 1, "leaf_hash": entry.leaf_hash,
           "leaf": entry.leaf(accounts)}
    named = sorted({p[3] for p in entry.postings if p[3] is not None})
    if named:
        row["lines"] = {str(line): lines[line] for line in named if line in lines}
    return row


def stream_complete():
    """The complete export as JSON text in pieces (the same document as `entries_as_json()`)."""
    head = log.latest_head()
    size = head.size if head else 0
    accounts, lines = load_accounts(), line_facts()
    meta = json.dumps(_meta(head, None, None, None, True), ensure_ascii=False)
    yield meta[:-1] + ',"entries":['
    separator = ""
    for entry in iter_entries(upto_seq=size):
        yield separator + json.dumps(_row(entry, accounts, lines), ensure_ascii=False)
        separator = ","
    yield "]}"


def _meta(head, home_id, lo, hi, complete) -> dict:
    return {
        "format": FORMAT,
        "hashing": "RFC 6962: leaf = SHA-256(0x00 || canonical leaf), node = SHA-256(0x01 || left || right)",
        "canonical": "JSON of `leaf`: keys sorted, separators (',', ':'), UTF-8, ensure_ascii=False",
        "generated_at": clock.now().isoformat(),
        "home_id": home_id,
        "start": lo.isoformat() if lo else None,
        "end": hi.isoformat() if hi else None,
        "complete": complete,
        "tree_head": log.head_json(head),
    }
