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
from market.ledger import merkle
from models import db
from models.ledger import JournalEntry, TreeHead


def latest_head() -> TreeHead | None:
    return db.session.scalar(select(TreeHead).order_by(TreeHead.size.desc(), TreeHead.id.desc()).limit(1))


def _leaves_after(session, size: int, upto: int | None = None):
    query = select(JournalEntry.seq, JournalEntry.leaf_hash).where(JournalEntry.seq > size)
    if upto is not None:
        query = query.where(JournalEntry.seq <= upto)
    return session.execute(query.order_by(JournalEntry.seq)).yield_per(5000)


def record_tree_head(session=None) -> TreeHead | None:
    """Add a TreeHead for the log as it stands in this transaction (no commit). Returns the
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
        size=rng.size, root=rng.root().hex(), frontier=json.dumps(rng.to_hex()), created_at=clock.now()
    )
    session.add(new)
    session.flush([new])
    return new


@event.listens_for(Session, "before_commit")
def _record_head_before_commit(session):
    if session.info.pop("ledger_posted", False):
        record_tree_head(session)
    session.info.pop("ledger_locked", None)
    session.info.pop("ledger_next_seq", None)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session):
    for key in ("ledger_posted", "ledger_locked", "ledger_next_seq"):
        session.info.pop(key, None)


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session):
    session.info.pop("ledger_locked", None)
    session.info.pop("ledger_next_seq", None)


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


def inclusion_proof(seq: int, head: TreeHead | None = None) -> dict | None:
    """The audit path of entry `seq` against `head` (default: the latest head)."""
    head = head or latest_head()
    if head is None or not 1 <= seq <= head.size:
        return None
    tree = current_tree()
    if tree.size < head.size:
        return None
    entry_hash = tree.levels[0][seq - 1]
    path = tree.inclusion_proof(seq - 1, head.size)
    return {
        "seq": seq,
        "leaf_index": seq - 1,
        "leaf_hash": entry_hash.hex(),
        "tree_size": head.size,
        "root": head.root,
        "audit_path": [h.hex() for h in path],
        "verified": merkle.verify_inclusion(seq - 1, head.size, entry_hash, path, bytes.fromhex(head.root)),
    }


def consistency_proof(old_size: int, new_size: int) -> list[str] | None:
    tree = current_tree()
    if not 0 <= old_size <= new_size <= tree.size:
        return None
    return [h.hex() for h in tree.consistency_proof(old_size, new_size)]


def head_json(head: TreeHead | None) -> dict:
    if head is None:
        return {"size": 0, "root": merkle.EMPTY_ROOT.hex(), "created_at": None}
    return {"size": head.size, "root": head.root, "created_at": head.created_at.isoformat()}


@event.listens_for(Session, "after_transaction_end")
def _forget_seq_after_savepoint(session, transaction):
    if transaction.nested:  # a savepoint rolled back may have taken seq numbers with it
        session.info.pop("ledger_next_seq", None)
