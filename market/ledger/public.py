"""What pages show about the log: its public key, a loud alarm when today's log does not extend a
head a witness co-signed, and the paper trail (a signed head in short form and a QR code) on
printed receipts and monthly statements."""

from datetime import datetime

import segno
from markupsafe import Markup
from sqlalchemy import select

from market.ledger import log, signing
from models import db
from models.ledger import JournalEntry, TreeHead


def ledger_public_key() -> str:
    return signing.public_key_hex()


def ledger_alarm() -> list:
    return log.witnessed_conflicts()


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code (segno draws it here: nothing is fetched)."""
    return Markup(segno.make(url, error="m").svg_inline(scale=3, border=2))


def signed_head_before(moment: datetime | None = None) -> TreeHead | None:
    """The latest signed head issued before `moment` (default: the latest signed head)."""
    query = select(TreeHead).where(TreeHead.signature.is_not(None))
    if moment is not None:
        query = query.where(TreeHead.created_at < moment)
    return db.session.scalar(query.order_by(TreeHead.id.desc()).limit(1))


def order_paper_trail(order_id: int) -> dict | None:
    """The sale entry of a paid order and the signed head that covers it, for its printed receipt."""
    seq = db.session.scalar(
        select(JournalEntry.seq)
        .where(JournalEntry.order_id == order_id, JournalEntry.kind == "sale").limit(1)
    )
    if seq is None:
        return None
    head = db.session.scalar(
        select(TreeHead).where(TreeHead.signature.is_not(None), TreeHead.size >= seq)
        .order_by(TreeHead.id.desc()).limit(1)
    )
    if head is None:
        return None
    return {"seq": seq, "head": head, "short": signing.short_form(head)}


def short_form(head: TreeHead) -> str:
    return signing.short_form(head)
