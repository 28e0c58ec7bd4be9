"""The canonical bytes of a journal entry: what its Merkle leaf hash is computed from.

    leaf_hash = SHA-256(0x00 || canonical_bytes(entry))

The encoding is JSON (RFC 8259) made deterministic:
- UTF-8, keys sorted, no whitespace (`separators=(",", ":")`), non-ASCII kept as is
  (`ensure_ascii=False`); amounts and ids are JSON integers; absent values are `null`.
- times are UTC, ISO 8601 with microseconds and a `Z`: ``2026-11-22T06:34:14.123456Z``.
- an account is ``"home:<home id>/<code>"`` or ``"platform/<code>"``.
- postings are sorted by (account, line, share, amount).

Fields (version 1)::

    {"v": 1, "seq": 17, "kind": "sale", "key": "order:12:paid", "memo": "Order ABC123",
     "home": 3, "commodity": "CNY", "occurred_at": "…Z", "created_at": "…Z",
     "order": 12, "refund": null, "source_type": null, "source_id": null, "category": null,
     "postings": [{"account": "home:3/care_fund:pending", "amount": -1200, "line": 31,
                   "share": "care"}, …]}

`market/ledger/export.py` puts exactly this object in each exported entry's "leaf" field, so
anyone can recompute the hashes and the root with a few lines of stdlib Python (tools/verify_export.py).
"""

import hashlib
import json
from datetime import UTC, datetime
from json.encoder import encode_basestring

VERSION = 1


def _posting_order(posting):
    label, amount, line, share = posting
    return label, line or 0, share or "", amount


def canonical_time(value) -> str:
    """UTC ISO 8601 with microseconds and Z, from an aware/naive-UTC datetime or a DB string."""
    if isinstance(value, str):
        # SQLite's stored form, "2026-11-22 06:34:14.123456" (naive UTC): the fast path.
        if len(value) == 26 and value[10] == " ":
            return value[:10] + "T" + value[11:] + "Z"
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


def account_label(home_id: int | None, code: str) -> str:
    return f"home:{home_id}/{code}" if home_id is not None else f"platform/{code}"


def leaf_object(*, seq, kind, key, memo, home_id, commodity, occurred_at, created_at, order_id,
                refund_id, source_type, source_id, category, postings) -> dict:
    """`postings`: iterable of (account label, amount, line id or None, share or None)."""
    rows = sorted(postings, key=_posting_order)
    return {
        "v": VERSION,
        "seq": seq,
        "kind": kind,
        "key": key,
        "memo": memo or "",
        "home": home_id,
        "commodity": commodity,
        "occurred_at": canonical_time(occurred_at),
        "created_at": canonical_time(created_at),
        "order": order_id,
        "refund": refund_id,
        "source_type": source_type,
        "source_id": source_id,
        "category": category,
        "postings": [
            {"account": label, "amount": amount, "line": line, "share": share}
            for label, amount, line, share in rows
        ],
    }


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def encode(obj: dict) -> bytes:
    return _ENCODER.encode(obj).encode("utf-8")


def _str(value) -> str:
    if value is None:
        return "null"
    if type(value) is str:
        return encode_basestring(value)
    return _ENCODER.encode(value)  # whatever a changed row holds, as encode() writes it


def _int(value) -> str:
    if value is None:
        return "null"
    if type(value) is int:
        return int.__repr__(value)
    return _ENCODER.encode(value)


def leaf_bytes(seq, kind, key, memo, home_id, commodity, occurred_at, created_at, order_id, refund_id,
               source_type, source_id, category, postings) -> bytes:
    """`encode(leaf_object(...))` written out directly, keys in sorted order: what
    `verify_ledger()` hashes for every entry (building the dict and sorting its keys is most of
    the cost). tests/ledger/test_properties.py checks the two agree on any input; `post()` hashes
    `leaf_object`, so verify also proves them equal on every stored entry."""
    rows = ",".join(
        f'{{"account":{_str(label)},"amount":{_int(amount)},"line":{_int(line)},"share":{_str(share)}}}'
        for label, amount, line, share in sorted(postings, key=_posting_order)
    )
    return (
        f'{{"category":{_str(category)},"commodity":{_str(commodity)},'
        f'"created_at":"{canonical_time(created_at)}","home":{_int(home_id)},"key":{_str(key)},'
        f'"kind":{_str(kind)},"memo":{_str(memo or "")},"occurred_at":"{canonical_time(occurred_at)}",'
        f'"order":{_int(order_id)},"postings":[{rows}],"refund":{_int(refund_id)},"seq":{_int(seq)},'
        f'"source_id":{_int(source_id)},"source_type":{_str(source_type)},"v":{VERSION}}}'
    ).encode()


def leaf_hash_hex(obj: dict) -> str:
    return hashlib.sha256(b"\x00" + encode(obj)).hexdigest()


def entry_leaf_object(entry) -> dict:
    """The leaf object of a JournalEntry loaded through the ORM (postings and accounts)."""
    return leaf_object(
        seq=entry.seq, kind=entry.kind, key=entry.idempotency_key, memo=entry.memo,
        home_id=entry.home_id, commodity=entry.commodity, occurred_at=entry.occurred_at,
        created_at=entry.created_at, order_id=entry.order_id, refund_id=entry.refund_id,
        source_type=entry.source_type, source_id=entry.source_id, category=entry.category,
        postings=[
            (account_label(p.account.home_id, p.account.code), p.amount, p.order_line_id, p.share)
            for p in entry.postings
        ],
    )
