"""When pending care-fund income becomes available.

A sale's care-fund share stays *pending* until the order is fulfilled and can no longer be
cancelled or returned:
- tours and homestays: once fulfilled (the stay or tour has happened, so the cancellation
  window, `Listing.cancel_hours` before the start, has closed);
- produce and crafts: `CARE_FUND_RELEASE_DAYS` (default 7) days after fulfilment, the
  window in which a buyer may still ask for a refund.

`release_due()` posts one release entry per order that is due. It never commits; `flask
ledger release` and pages that read balances call it (and commit).
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, func, select

from market.ledger.sales import post_release
from models import Order, OrderEvent, OrderLine, db, utcnow
from models.ledger import Account, JournalEntry, Posting

GOODS = ("produce", "craft")
DEFAULT_RELEASE_DAYS = 7


def release_days() -> int:
    try:
        return int(current_app.config.get("CARE_FUND_RELEASE_DAYS", DEFAULT_RELEASE_DAYS))
    except RuntimeError:  # outside an application context
        return DEFAULT_RELEASE_DAYS


def due_at(order: Order, fulfilled_at: datetime) -> datetime:
    if any(line.kind in GOODS for line in order.lines):
        return fulfilled_at + timedelta(days=release_days())
    return fulfilled_at


def release_due(now: datetime | None = None, home_id: int | None = None) -> int:
    """Post release entries for every order now due (optionally one home's); returns how many."""
    now = now or utcnow()
    released = (
        select(JournalEntry.id)
        .where(JournalEntry.order_id == Order.id, JournalEntry.kind == "release")
    )
    sold = select(JournalEntry.id).where(JournalEntry.order_id == Order.id, JournalEntry.kind == "sale")
    fulfilled_at = (
        select(func.min(OrderEvent.created_at))
        .where(OrderEvent.order_id == Order.id, OrderEvent.to_status == "fulfilled")
        .scalar_subquery()
    )
    query = (
        select(Order, fulfilled_at)
        .where(fulfilled_at.is_not(None), fulfilled_at <= now, exists(sold), ~exists(released),
               Order.status.not_in(("refunded", "cancelled", "expired")))
        .order_by(Order.id)
    )
    if home_id is not None:
        on_home = select(OrderLine.id).where(OrderLine.order_id == Order.id, OrderLine.home_id == home_id)
        pending_on_home = (
            select(Posting.id)
            .join(Account, Account.id == Posting.account_id)
            .join(OrderLine, OrderLine.id == Posting.order_line_id)
            .where(and_(OrderLine.order_id == Order.id, Account.home_id == home_id))
        )
        query = query.where(exists(on_home), exists(pending_on_home))
    count = 0
    for order, fulfilled in db.session.execute(query).all():
        when = due_at(order, fulfilled)
        if when <= now and post_release(order, occurred_at=when) is not None:
            count += 1
    return count
