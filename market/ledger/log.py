"""The ledger's Merkle log: tree heads, inclusion and consistency proofs.

Entry `seq` s is leaf s-1. Whenever a transaction that posted entries commits, a TreeHead
(size, root) is recorded in the same transaction (a `before_commit` hook), computed from the
previous head's compact range plus the new leaves only. `record_tree_head()` records one on
demand (e.g. after entries were written in bulk).

Proofs come from an in-process `MerkleTree` cache of the leaf hashes, extended with new
leaves as they appear and rebuilt if the database no longer matches it.
"""

import json
import threading

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from market import clock
from market.ledger import merkle, signing
from market.ledger.canonical import canonical_time
from models import db
from models.ledger import JournalEntry, TreeHead


def latest_head() -> TreeHead | None:
    return db.session.scalar(select(TreeHead).order_by(TreeHead.size.desc(), TreeHead.id.desc()).limit(1))


def _leaves_after(session, size: int, upto: int | None = None):
    query = select(JournalEntry.seq, JournalEntry.leaf_hash).where(JournalEntry.seq > size)
    if upto is not None:
        query = query.where(JournalEntry.seq <= upto)
    return session.execute(query.order_by(JournalEntry.seq)).yield_per(5000)


def _head_time(previous: TreeHead | None):
    """Now, but never before the previous head: signed timestamps grow with the size."""
    now = clock.now()
    if previous is not None and previous.created_at > now:
        return previous.created_at
    return now


def sign_latest_if_unsigned(session=None) -> TreeHead | None:
    """Heads recorded before heads were signed stay as they were (append-only); after the upgrade
    `flask ledger head` records a signed head of the same size and root."""
    session = session or db.session()
    head = session.scalar(select(TreeHead).order_by(TreeHead.size.desc(), TreeHead.id.desc()).limit(1))
    if head is None or head.signature is not None:
        return head
    new = TreeHead(size=head.size, root=head.root, frontier=head.frontier, created_at=_head_time(head))
    signing.sign_head(new)
    session.add(new)
    session.flush([new])
    return new


def record_tree_head(session=None) -> TreeHead | None:
    """Add a signed TreeHead for the log as it stands in this transaction (no commit). Returns the
    existing latest head when nothing was appended since it was recorded."""
    session = session or db.session()
    head = session.scalar(select(TreeHead).order_by(TreeHead.size.desc(), TreeHead.id.desc()).limit(1))
    if head is None:
        rng = merkle.CompactRange()
    else:
        rng = merkle.CompactRange.from_hex(head.size, json.loads(head.frontier))
    appended = False
    for seq, leaf in _leaves_after(session, rng.size):
        if seq != rng.size + 1:
            raise RuntimeError(f"ledger log has a gap before seq {seq}")
        rng.append(bytes.fromhex(leaf))
        appended = True
    if not appended and head is not None:
        return head
    new = TreeHead(
        size=rng.size, root=rng.root().hex(), frontier=json.dumps(rng.to_hex()), created_at=_head_time(head)
    )
    signing.sign_head(new)
    session.add(new)
    session.flush([new])
    return new


@event.listens_for(Session, "before_commit")
def _record_head_before_commit(session):
    if session.info.pop("ledger_posted", False):
        record_tree_head(session)
    for key in ("ledger_locked", "ledger_next_seq", "ledger_last_time"):
        session.info.pop(key, None)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session):
    for key in ("ledger_posted", "ledger_locked", "ledger_next_seq", "ledger_last_time"):
        session.info.pop(key, None)


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session):
    for key in ("ledger_locked", "ledger_next_seq", "ledger_last_time"):
        session.info.pop(key, None)


# ---- proofs ----------------------------------------------------------------------------------

_cache_lock = threading.Lock()
_trees: dict[str, merkle.MerkleTree] = {}


def current_tree() -> merkle.MerkleTree:
    """A MerkleTree of every committed leaf visible to this session (cached per database)."""
    session = db.session()
    key = str(session.get_bind().url)
    with _cache_lock:
        tree = _trees.get(key)
        if tree is not None and tree.size:
            stored = session.scalar(select(JournalEntry.leaf_hash).where(JournalEntry.seq == tree.size))
            if stored is None or bytes.fromhex(stored) != tree.levels[0][-1]:
                tree = None  # the database was replaced (tests) or does not match: rebuild
        if tree is None:
            tree = merkle.MerkleTree()
        for seq, leaf in _leaves_after(session, tree.size):
            if seq != tree.size + 1:
                break
            tree.append(bytes.fromhex(leaf))
        _trees[key] = tree
        return tree


def inclusion_proof(seq: int, size: int | None = None, leaf_hash: str | None = None) -> dict | None:
    """The audit path of entry `seq` in the log of `size` entries (default: the latest head's).

    `leaf_hash` is the hash recomputed from the entry's content: "verified" then says that the
    content, not merely the stored hash, is in the log."""
    head = latest_head()
    if size is None:
        size = head.size if head else 0
    tree = current_tree()
    if not 1 <= seq <= size or size > tree.size or head is None or size > head.size:
        return None
    stored = tree.levels[0][seq - 1]
    entry_hash = bytes.fromhex(leaf_hash) if leaf_hash else stored
    path = tree.inclusion_proof(seq - 1, size)
    root = tree.root(size)
    signed = signed_head_of_size(size)
    return {
        "seq": seq,
        "leaf_index": seq - 1,
        "leaf_hash": entry_hash.hex(),
        "stored_leaf_hash": stored.hex(),
        "tree_size": size,
        "root": root.hex(),
        "signed_head": head_json(signed) if signed is not None else None,
        "audit_path": [h.hex() for h in path],
        "verified": merkle.verify_inclusion(seq - 1, size, entry_hash, path, root)
        and (signed is None or signed.root == root.hex()),
    }


def signed_head_of_size(size: int) -> TreeHead | None:
    """The most recent signed head of exactly `size` entries."""
    return db.session.scalar(
        select(TreeHead)
        .where(TreeHead.size == size, TreeHead.signature.is_not(None))
        .order_by(TreeHead.id.desc())
        .limit(1)
    )


def consistency_proof(old_size: int, new_size: int) -> list[str] | None:
    tree = current_tree()
    if not 0 <= old_size <= new_size <= tree.size:
        return None
    return [h.hex() for h in tree.consistency_proof(old_size, new_size)]


def extends(size: int, root: str) -> bool:
    """Does today's log contain the log of `size` entries with this root (as a prefix)?"""
    tree = current_tree()
    return 0 <= size <= tree.size and tree.root(size).hex() == root


def witnessed_conflicts() -> list[TreeHead]:
    """Heads a witness co-signed that today's log does not extend: the log was rewritten."""
    from models.ledger import Cosignature

    witnessed = db.session.scalars(
        select(TreeHead).where(TreeHead.id.in_(select(Cosignature.head_id))).order_by(TreeHead.size)
    ).all()
    return [head for head in witnessed if not extends(head.size, head.root)]


def head_json(head: TreeHead | None, cosignatures: bool = False) -> dict:
    """A head as published: what was signed (log id, size, root, time as signed), the signature
    (null on heads recorded before heads were signed) and, if asked, the witnesses' co-signatures."""
    if head is None:
        return {"size": 0, "root": merkle.EMPTY_ROOT.hex(), "created_at": None, "signature": None}
    data = {
        "id": head.id,
        "log_id": head.log_id,
        "size": head.size,
        "root": head.root,
        "timestamp": canonical_time(head.created_at),
        "created_at": head.created_at.isoformat(),
        "signature": head.signature,
    }
    if cosignatures:
        data["cosignatures"] = [
            {"witness": c.witness.name, "public_key": c.witness.public_key, "signature": c.signature,
             "created_at": c.created_at.isoformat()}
            for c in head.cosignatures
        ]
    return data


@event.listens_for(Session, "after_transaction_end")
def _forget_seq_after_savepoint(session, transaction):
    if transaction.nested:  # a savepoint rolled back may have taken seq numbers with it
        session.info.pop("ledger_next_seq", None)
        session.info.pop("ledger_last_time", None)
