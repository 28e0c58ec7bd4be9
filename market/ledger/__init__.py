"""The care-fund ledger: double-entry postings, allocation, an RFC 6962 Merkle log.

`connect_hooks()` subscribes the ledger to the money path's news (market/hooks.py):
- order_paid      → one balanced sale entry per order (`order:<id>:paid`)
- refund_settled  → a reversing entry in the same proportions (`refund:<id>`)
- order_fulfilled → releases pending care-fund income if it is already due
Receivers run inside the sender's transaction and never commit.
"""

_connected = False


def _on_order_paid(order, **_extra):
    from market.ledger.sales import post_order_paid

    post_order_paid(order)


def _on_refund_settled(refund, **_extra):
    from market.ledger.sales import post_refund

    post_refund(refund)


def _on_order_fulfilled(order, **_extra):
    from market.ledger.release import due_at
    from market.ledger.sales import post_release
    from models import utcnow

    now = utcnow()
    if due_at(order, now) <= now:
        post_release(order, occurred_at=now)


def connect_hooks() -> None:
    global _connected
    if _connected:
        return
    from market import hooks
    from market.ledger import log  # noqa: F401  (registers the tree-head commit hook)

    hooks.order_paid.connect(_on_order_paid)
    hooks.refund_settled.connect(_on_refund_settled)
    hooks.order_fulfilled.connect(_on_order_fulfilled)
    _connected = True
