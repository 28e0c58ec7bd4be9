"""Public, read-only proof endpoints. No login; no buyer names (entries carry none).

- /ledger/entries/<seq>          the entry, its postings and leaf hash (HTML; JSON with
                                 ?format=json or Accept: application/json)
- /ledger/entries/<seq>.json     the same as JSON
- /ledger/entries/<seq>/proof    JSON inclusion proof against the latest tree head
- /ledger/tree-head              JSON: the latest tree head
- /ledger/consistency?first=&second=   JSON consistency proof between two tree sizes
"""

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from market.errors import render_error
from market.ledger import log
from market.ledger.canonical import entry_leaf_object
from market.ledger.service import entry_by_seq
from models import Home, db

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
        "leaf": entry_leaf_object(entry),
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
    proof = log.inclusion_proof(seq)
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
    if _entry_or_404(seq) is None:
        return jsonify(error=_("No ledger entry with that number.")), 404
    result = log.inclusion_proof(seq)
    if result is None:
        return jsonify(error=_("This entry is not yet covered by a tree head; try again shortly.")), 409
    result["algorithm"] = (
        "RFC 6962: leaf = SHA-256(0x00 || leaf bytes), node = SHA-256(0x01 || left || right)"
    )
    return jsonify(result)


@bp.get("/tree-head")
def tree_head():
    return jsonify(log.head_json(log.latest_head()))


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
    return jsonify(
        first=first,
        second=second,
        root_first=log.current_tree().root(first).hex(),
        root_second=log.current_tree().root(second).hex(),
        consistency_path=path,
    )
