"""The public audit log: who changed the settings that decide where money goes, when, from what
to what. Each change is a NON-MONEY entry of the same Merkle log as the money (kind `audit`, no
postings, the change as canonical JSON in its memo), so it is covered by the same leaf hashes,
signed tree heads, witnesses and `flask ledger verify` as every sale: nobody can change a home's
care share and take the trace back without breaking the log.

What is logged (`what`):
- ``care_share``          a home's care share (basis points), by the platform admin;
- ``listing_care_share``  a listing's own care share (None: the home's), by the home's staff;
- ``elder_incentive``     an elder's incentive rate (basis points), by the home's staff;
- ``member``              a person made staff or supervisor of the home, or removed (None);
- ``platform_fee``        the platform fee (`PLATFORM_FEE_BPS`, a setting of the deployment):
                          noted when it differs from the last note, by the job
                          `fund.note_platform_fee` every 10 minutes and `flask ledger
                          note-fee` (home None: it is every home's). Each sale's fee is in
                          its order lines' rates as well.

Never commits: the change commits with the setting it records.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from market.ledger.service import post
from models import db
from models.ledger import JournalEntry

AUDIT_KIND = "audit"
WHATS = ("care_share", "listing_care_share", "elder_incentive", "member", "platform_fee")
FEE_SOURCE = "platform_fee"  # source_type of platform-fee notes; source_id is the fee (bps)
HOME_SOURCE = "audit"  # source_type of a home's changes; source_id is the home


def actor_of(user) -> dict:
    """Who acted, as the log keeps it: account number, name, and whether a platform admin."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {"user": None, "name": "", "admin": False}
    return {"user": user.id, "name": user.name or "", "admin": bool(getattr(user, "is_admin", False))}


def current_actor():
    """The signed-in user of the request, if any (services called from a view)."""
    try:
        from flask_login import current_user

        return current_user._get_current_object() if current_user else None
    except RuntimeError:  # no request: a CLI command or a job
        return None


def record_change(*, home_id: int | None, what: str, subject: dict, before, after, actor=None,
                  source_type: str | None = None, source_id: int | None = None,
                  occurred_at: datetime | None = None) -> JournalEntry | None:
    """Append one change to the log (None, and nothing logged, when nothing changed)."""
    if what not in WHATS:
        raise ValueError(f"unknown audited setting {what!r}")
    if before == after:
        return None
    who = actor if isinstance(actor, dict) else actor_of(actor if actor is not None else current_actor())
    memo = json.dumps({"what": what, "subject": subject, "before": before, "after": after, "by": who},
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    if source_type is None:  # a home's change: found through the (source_type, source_id) index
        source_type, source_id = HOME_SOURCE, home_id
    return post(kind=AUDIT_KIND, idempotency_key=f"audit:{uuid.uuid4().hex}", memo=memo, home_id=home_id,
                postings=(), category=what, source_type=source_type, source_id=source_id,
                occurred_at=occurred_at)


def note_platform_fee(fee_bps: int, occurred_at: datetime | None = None) -> JournalEntry | None:
    """Log the platform fee when it differs from the last one noted (the first time too).
    One indexed lookup (source_type, source_id). Never commits."""
    last = db.session.scalar(
        select(JournalEntry.source_id).where(JournalEntry.source_type == FEE_SOURCE)
        .order_by(JournalEntry.id.desc()).limit(1)
    )
    if last == fee_bps:
        return None
    return record_change(home_id=None, what="platform_fee", subject={}, before=last, after=fee_bps,
                         actor={"user": None, "name": "", "admin": False, "setting": "PLATFORM_FEE_BPS"},
                         source_type=FEE_SOURCE, source_id=fee_bps, occurred_at=occurred_at)


def note_current_platform_fee():
    """Note the configured platform fee if it changed; commits what it posts."""
    from flask import current_app

    entry = note_platform_fee(int(current_app.config["PLATFORM_FEE_BPS"]))
    if entry is not None:
        db.session.commit()
    else:
        db.session.rollback()
    return entry


@dataclass
class Change:
    seq: int
    occurred_at: datetime
    what: str
    subject: dict
    before: object
    after: object
    by: dict
    leaf_hash: str


def entry_change(entry: JournalEntry) -> Change | None:
    """The change an audit entry records (None if its memo is not one)."""
    try:
        data = json.loads(entry.memo)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    return Change(entry.seq, entry.occurred_at, str(data.get("what", entry.category or "")),
                  data.get("subject") if isinstance(data.get("subject"), dict) else {},
                  data.get("before"), data.get("after"),
                  data.get("by") if isinstance(data.get("by"), dict) else {}, entry.leaf_hash)


def home_changes(home_id: int, limit: int = 50) -> list[Change]:
    """A home's changes, and the platform fee's, newest first."""
    # Two range scans of the (source_type, source_id) index, however long the ledger.
    found = []
    for where in ((JournalEntry.source_type == HOME_SOURCE, JournalEntry.source_id == home_id),
                  (JournalEntry.source_type == FEE_SOURCE,)):
        query = (select(JournalEntry).where(JournalEntry.kind == AUDIT_KIND, *where)
                 .order_by(JournalEntry.seq.desc()).limit(limit))
        found += db.session.scalars(query)
    found.sort(key=lambda entry: entry.seq, reverse=True)
    return [change for entry in found[:limit] if (change := entry_change(entry)) is not None]
