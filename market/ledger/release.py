"""When pending care-fund income becomes available.

A sale's care-fund share stays *pending* until the order is fulfilled and can no longer be
cancelled or returned:
- tours and homestays: once fulfilled (the stay or tour has happened, so the cancellation
  window, `Listing.cancel_hours` before the start, has closed);
- produce and crafts: `CARE_FUND_RELEASE_DAYS` (default 7) days after fulfilment, the
  window in which a buyer may still ask for a refund.

`due_orders()` finds the orders whose release is due; `market.ledger.entries.release_due()`
posts their release entries.
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, func, select

from models import Order, OrderEvent, db
from models.catalog import GOODS
from models.ledger import JournalEntry
from models.orders import OrderStatus


def release_days() -> int:
    return current_app.config["CARE_FUND_RELEASE_DAYS"]


def due_at(order: Order, fulfilled_at: datetime) -> datetime:
    if any(line.kind in GOODS for line in order.lines):
        return fulfilled_at + timedelta(days=release_days())
    return fulfilled_at


def due_orders(now: datetime, home_id: int | None = None) -> list[tuple[Order, datetime]]:
    """Fulfilled orders with a sale entry and no release entry whose release is due by `now`,
    each with the moment it became due (optionally one home's)."""
    # Joins, not per-order subqueries: pages call this, and a home may have 100,000 orders.
    fulfilled = (
        select(OrderEvent.order_id, func.min(OrderEvent.created_at).label("at"))
        .where(OrderEvent.to_status == OrderStatus.FULFILLED)
        .group_by(OrderEvent.order_id)
        .subquery()
    )
    query = (
        select(Order, fulfilled.c.at)
        .join(fulfilled, fulfilled.c.order_id == Order.id)
        .where(fulfilled.c.at <= now,
               Order.status.not_in((OrderStatus.REFUNDED, OrderStatus.CANCELLED, OrderStatus.EXPIRED)),
               _has_entry("sale"), ~_has_entry("release"))
        .order_by(Order.id)
    )
    if home_id is not None:
        query = query.where(Order.home_id == home_id)  # checkout makes one order per home
    due = []
    for order, fulfilled_at in db.session.execute(query).all():
        when = due_at(order, fulfilled_at)
        if when <= now:
            due.append((order, when))
    return due


def _has_entry(kind: str):
    return exists().where(JournalEntry.order_id == Order.id, JournalEntry.kind == kind)
