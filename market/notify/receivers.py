"""News from the money path that someone at the home wants to hear (see market/hooks.py)."""

from market import hooks
from market.notify.service import apply_order_paid


def _on_order_paid(order, **_extra) -> None:
    apply_order_paid(order)


def connect_hooks() -> None:
    hooks.order_paid.connect(_on_order_paid)
