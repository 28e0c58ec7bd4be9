"""Public, read-only proof endpoints. No login; no buyer names (entries carry none).

- /ledger/entries/<seq>          the entry, its postings and leaf hash (HTML; JSON with
                                 ?format=json or Accept: application/json)
- /ledger/entries/<seq>.json     the same as JSON
- /ledger/entries/<seq>/proof    JSON inclusion proof of the hash recomputed from the entry's
                                 content, against the latest head or ?size=N (any past size)
- /ledger/tree-head              JSON: the latest signed tree head
- /ledger/heads                  every head ever issued, newest first, with signatures and
                                 co-signatures (page; JSON with ?format=json), ?before=<id> pages
- /ledger/consistency?first=&second=   JSON consistency proof between two tree sizes, naming the
                                 signed heads of those sizes
- /ledger/export.json            the complete export of every home, streamed
- /ledger/check?head=<JSON>      does today's log extend a head someone saved?
- POST /ledger/witness           a registered witness's co-signature of a head (JSON)
"""

import json

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from market.errors import render_error
from market.extensions import csrf
from market.ledger import log, signing, witnesses
from market.ledger.canonical import entry_leaf_object, leaf_hash_hex
from market.ledger.service import entry_by_seq
from models import Home, db
from models.ledger import TreeHead

HEADS_PER_PAGE = 50

bp = Blueprint("ledger", __name__, url_prefix="/ledger")


def _entry_or_404(seq: int):
    entry = entry_by_seq(seq)
    if entry is None:
        return None
    return entry


def entry_json(entry) -> dict:
    home_ids = {p.account.home_id for p in entry.postings if p.account.home_id is not None}
    if entry.home_id is not None:
        home_ids.add(entry.home_id)
    slugs = (
        dict(db.session.execute(select(Home.id, Home.slug).where(Home.id.in_(home_ids))).all())
        if home_ids
        else {}
    )
    leaf = entry_leaf_object(entry)
    recomputed = leaf_hash_hex(leaf)
    return {
        "seq": entry.seq,
        "leaf_index": entry.seq - 1,
        "kind": entry.kind,
        "memo": entry.memo,
        "category": entry.category,
        "commodity": entry.commodity,
        "occurred_at": entry.occurred_at.isoformat(),
        "created_at": entry.created_at.isoformat(),
        "home": {"id": entry.home_id, "slug": slugs.get(entry.home_id)} if entry.home_id else None,
        "postings": [
            {
                "account": p.account.code,
                "home": {"id": p.account.home_id, "slug": slugs.get(p.account.home_id)}
                if p.account.home_id is not None
                else None,
                "amount_fen": p.amount,
                "order_line": p.order_line_id,
                "share": p.share,
            }
            for p in entry.postings
        ],
        "leaf_hash": entry.leaf_hash,
        # Recomputed here from the content shown above: what the proof is about.
        "leaf_hash_recomputed": recomputed,
        "content_matches_hash": recomputed == entry.leaf_hash,
        "leaf": leaf,
        "proof_url": f"/ledger/entries/{entry.seq}/proof",
    }


def _wants_json() -> bool:
    if request.args.get("format") == "json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


@bp.get("/entries/<int:seq>")
def entry(seq: int):
    found = _entry_or_404(seq)
    if found is None:
        if _wants_json():
            return jsonify(error=_("No ledger entry with that number.")), 404
        return render_error(404, _("No ledger entry with that number."))
    data = entry_json(found)
    if _wants_json():
        return jsonify(data)
    proof = log.inclusion_proof(seq, leaf_hash=data["leaf_hash_recomputed"])
    homes = {
        h.id: h
        for h in db.session.scalars(
            select(Home).where(Home.id.in_({p["home"]["id"] for p in data["postings"] if p["home"]}))
        )
    }
    return render_template(
        "ledger/entry.html", entry=found, data=data, proof=proof, homes=homes, head=log.latest_head()
    )


@bp.get("/entries/<int:seq>.json")
def entry_as_json(seq: int):
    found = _entry_or_404(seq)
    if found is None:
        return jsonify(error=_("No ledger entry with that number.")), 404
    return jsonify(entry_json(found))


@bp.get("/entries/<int:seq>/proof")
def proof(seq: int):
    found = _entry_or_404(seq)
    if found is None:
        return jsonify(error=_("No ledger entry with that number.")), 404
    size = request.args.get("size")
    if size is not None:
        try:
            size = int(size)
        except ValueError:
            return jsonify(error=_("Give the tree size as a whole number.")), 400
        if size < seq or size > log.current_tree().size:
            return jsonify(error=_("That tree size does not contain this entry.")), 400
    result = log.inclusion_proof(seq, size, leaf_hash=leaf_hash_hex(entry_leaf_object(found)))
    if result is None:
        return jsonify(error=_("This entry is not yet covered by a tree head; try again shortly.")), 409
    result["algorithm"] = (
        "RFC 6962: leaf = SHA-256(0x00 || leaf bytes), node = SHA-256(0x01 || left || right)"
    )
    return jsonify(result)


@bp.get("/tree-head")
def tree_head():
    """The latest signed head (an older unsigned one only before the first signed head)."""
    head = log.latest_head()
    if head is not None and head.signature is None:
        head = log.signed_head_of_size(head.size) or head
    data = log.head_json(head, cosignatures=True)
    data["public_key"] = signing.public_key_hex()
    return jsonify(data)


@bp.get("/heads")
def heads():
    try:
        before = int(request.args["before"]) if request.args.get("before") else None
    except ValueError:
        before = None
    query = select(TreeHead).order_by(TreeHead.id.desc()).limit(HEADS_PER_PAGE + 1)
    if before is not None:
        query = query.where(TreeHead.id < before)
    found = db.session.scalars(query).all()
    more = len(found) > HEADS_PER_PAGE
    found = found[:HEADS_PER_PAGE]
    next_before = found[-1].id if more else None
    public_key = signing.public_key_hex()
    rows = [log.head_json(h, cosignatures=True) for h in found]
    if _wants_json():
        return jsonify(public_key=public_key, log_id=signing.log_id_of(public_key), heads=rows,
                       next_before=next_before)
    for row, head in zip(rows, found, strict=True):
        row["issued_at"] = head.created_at  # the page shows it in Beijing time; the JSON keeps UTC
    return render_template("ledger/heads.html", heads=rows, next_before=next_before, public_key=public_key)


@bp.get("/export.json")
def export_all():
    """Every home's entries up to the latest head, streamed (tools/verify_export.py checks it)."""
    from flask import Response, stream_with_context

    from market.ledger.export import stream_complete

    return Response(stream_with_context(stream_complete()), mimetype="application/json",
                    headers={"Content-Disposition": "attachment; filename=ledger-export.json"})


@bp.get("/check")
def check():
    """Paste a head you saved (its JSON from /ledger/tree-head): does today's log extend it?"""
    pasted = request.args.get("head", "").strip()
    result = None
    if pasted:
        result = check_saved_head(pasted)
    return render_template("ledger/check.html", pasted=pasted, result=result)


def check_saved_head(text: str) -> dict:
    """{"error": message} for what cannot be read; else whether it is signed by this log and
    whether today's log extends it."""
    try:
        saved = json.loads(text)
        size, root = int(saved["size"]), str(saved["root"]).lower()
        bytes.fromhex(root)
    except (ValueError, KeyError, TypeError, AttributeError):
        return {"error": _("That is not a tree head: paste the JSON of /ledger/tree-head as you saved it.")}
    signed = False
    if saved.get("signature") and saved.get("log_id") and saved.get("timestamp"):
        message = signing.head_message(saved["log_id"], size, root, saved["timestamp"])
        signed = saved["log_id"] == signing.log_id() and signing.verify(
            signing.public_key_hex(), message, str(saved["signature"])
        )
    current = log.current_tree()
    return {"size": size, "root": root, "signed": signed, "extends": log.extends(size, root),
            "current_size": current.size, "current_root": current.root().hex()}


@bp.post("/witness")
@csrf.exempt
def witness():
    """A registered witness co-signs a head: JSON {public_key, size, root, signature}."""
    status, body = witnesses.accept_cosignature(request.get_json(silent=True))
    return jsonify(body), status


@bp.get("/consistency")
def consistency():
    try:
        first = int(request.args.get("first", ""))
        second = int(request.args.get("second", ""))
    except ValueError:
        return jsonify(error=_("Give two tree sizes, first and second.")), 400
    path = log.consistency_proof(first, second)
    if path is None:
        return jsonify(error=_("Those tree sizes are not in the log.")), 400
    heads = {n: log.signed_head_of_size(n) for n in (first, second)}
    return jsonify(
        first=first,
        second=second,
        # The signed heads of those sizes (null where none was issued at that size).
        first_head=log.head_json(heads[first]) if heads[first] else None,
        second_head=log.head_json(heads[second]) if heads[second] else None,
        root_first=log.current_tree().root(first).hex(),
        root_second=log.current_tree().root(second).hex(),
        consistency_path=path,
    )
