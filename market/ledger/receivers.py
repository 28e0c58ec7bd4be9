"""Hook receivers: the ledger posts the money path's news (see market/hooks.py).

- order_paid      → one balanced sale entry per order (`order:<id>:paid`)
- refund_settled  → a reversing entry in the same proportions (`refund:<id>`)
- order_fulfilled → releases pending care-fund income if it is already due

Receivers run inside the sender's transaction and never commit.
"""

from market import clock, hooks
from market.ledger import log  # noqa: F401  (registers the tree-head commit hook)
from market.ledger.entries import post_order_paid, post_refund, post_release
from market.ledger.release import due_at


def _on_order_paid(order, **_extra):
    post_order_paid(order)


def _on_refund_settled(refund, **_extra):
    post_refund(refund)


def _on_order_fulfilled(order, **_extra):
    now = clock.now()
    if due_at(order, now) <= now:
        post_release(order, occurred_at=now)


def connect_hooks() -> None:
    hooks.order_paid.connect(_on_order_paid)
    hooks.refund_settled.connect(_on_refund_settled)
    hooks.order_fulfilled.connect(_on_order_fulfilled)
