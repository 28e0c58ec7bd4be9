"""Witnesses: keys an admin registered (`flask ledger witness-add`) whose co-signatures of our
signed heads are accepted at POST /ledger/witness, at most one per key every
LEDGER_WITNESS_MIN_SECONDS."""

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from market import clock
from market.ledger import signing
from models import db
from models.ledger import Cosignature, TreeHead, Witness


def register(name: str, public_key: str) -> Witness:
    """Raises ValueError when the key is not 32 bytes of hex or is already registered."""
    key = public_key.strip().lower()
    if len(bytes.fromhex(key)) != 32:
        raise ValueError("The public key must be 64 hex digits (32 bytes, raw Ed25519).")
    if db.session.scalar(select(Witness).where(Witness.public_key == key)) is not None:
        raise ValueError("That key is already registered.")
    witness = Witness(name=name.strip()[:120], public_key=key, created_at=clock.now())
    db.session.add(witness)
    db.session.commit()
    return witness


def accept_cosignature(data) -> tuple[int, dict]:
    """Check and store a co-signature {public_key, size, root, signature}: (HTTP status, body)."""
    if not isinstance(data, dict):
        return 400, {"error": _("Send the co-signature as JSON.")}
    known = db.session.scalar(select(Witness).where(Witness.public_key == str(data.get("public_key", ""))))
    if known is None:
        return 403, {"error": _("That witness key is not registered.")}
    try:
        size, root = int(data["size"]), str(data["root"])
    except (KeyError, TypeError, ValueError):
        return 400, {"error": _("Name the head: its size and root.")}
    head = db.session.scalar(
        select(TreeHead).where(TreeHead.size == size, TreeHead.root == root, TreeHead.signature.is_not(None))
        .order_by(TreeHead.id.desc()).limit(1)
    )
    if head is None:
        return 404, {"error": _("This log never signed that head.")}
    signature = str(data.get("signature", ""))
    if not signing.verify(known.public_key, signing.cosign_message(signing.message_of(head)), signature):
        return 400, {"error": _("The co-signature does not verify.")}
    already = db.session.scalar(
        select(Cosignature.id).where(Cosignature.head_id == head.id, Cosignature.witness_id == known.id)
    )
    if already is not None:
        return 200, {"ok": True, "head": head.id, "duplicate": True}
    last = db.session.scalar(
        select(Cosignature.created_at).where(Cosignature.witness_id == known.id)
        .order_by(Cosignature.id.desc()).limit(1)
    )
    now = clock.now()
    if last is not None and (now - last).total_seconds() < current_app.config["LEDGER_WITNESS_MIN_SECONDS"]:
        return 429, {"error": _("Too many co-signatures from this witness; try again later.")}
    db.session.add(Cosignature(head_id=head.id, witness_id=known.id, signature=signature, created_at=now))
    db.session.commit()
    return 201, {"ok": True, "head": head.id}
