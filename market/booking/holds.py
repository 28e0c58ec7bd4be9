"""What unpaid holds that have ENDED still keep in the tables, read from the clock.

An unpaid order holds its seats, nights and units until `hold_expires_at`; the minute's job
(`orders.expire_holds`) then releases them. Between the two, the tables still count them as
taken. Pages never write, so they do not release anything: they read availability through these
functions, which give back what an ended hold keeps, and so show it as free the moment the hold
ends. (Checkout, a POST, releases ended holds for real before it reserves.)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, exists, func, not_, or_, select

from market import clock
from models import Order, OrderLine, RoomNight, db
from models.catalog import GOODS
from models.orders import OrderStatus


def ended(now: datetime | None = None):
    """SQL: the order of an OrderLine is unpaid and its hold has ended (as of `now`)."""
    now = now or clock.now()
    return and_(OrderLine.order_id == Order.id, OrderLine.holds_inventory.is_(True),
                Order.status == OrderStatus.PENDING_PAYMENT, Order.hold_expires_at <= now)


def shown_as(status: str, now: datetime | None = None):
    """SQL: the orders a page shows with `status`: an unpaid order whose hold has ended is expired
    (the clause counterpart of `market.orders.lifecycle.shown_status`)."""
    hold_ended = and_(Order.status == OrderStatus.PENDING_PAYMENT, Order.hold_expires_at.is_not(None),
                      Order.hold_expires_at <= (now or clock.now()))
    if status == OrderStatus.PENDING_PAYMENT:
        return and_(Order.status == status, not_(hold_ended))
    if status == OrderStatus.EXPIRED:
        return or_(Order.status == status, hold_ended)
    return Order.status == status


def ended_seats(session_ids: Iterable[int], now: datetime | None = None) -> dict[int, int]:
    """{session id: seats still counted in `reserved` by holds that have ended}."""
    ids = [i for i in set(session_ids) if i is not None]
    if not ids:
        return {}
    return dict(db.session.execute(
        select(OrderLine.session_id, func.sum(OrderLine.quantity))
        .where(ended(now), OrderLine.kind == "tour", OrderLine.session_id.in_(ids))
        .group_by(OrderLine.session_id)).all())


def ended_units(listing_ids: Iterable[int], now: datetime | None = None) -> dict[int, int]:
    """{listing id: units still counted in `reserved` by holds that have ended}."""
    ids = list(set(listing_ids))
    if not ids:
        return {}
    return dict(db.session.execute(
        select(OrderLine.listing_id, func.sum(OrderLine.quantity))
        .where(ended(now), OrderLine.kind.in_(GOODS), OrderLine.listing_id.in_(ids))
        .group_by(OrderLine.listing_id)).all())


def ended_seats_column(session_column, now: datetime | None = None):
    """A correlated SQL expression: seats of `session_column`'s session kept by ended holds."""
    return (select(func.coalesce(func.sum(OrderLine.quantity), 0))
            .where(ended(now), OrderLine.kind == "tour", OrderLine.session_id == session_column)
            .correlate_except(OrderLine, Order).scalar_subquery())


def night_taken(now: datetime | None = None):
    """SQL: this RoomNight row is really taken (its hold has not ended, or it was paid)."""
    return ~exists().where(OrderLine.id == RoomNight.order_line_id, ended(now)) \
        .correlate(RoomNight)
