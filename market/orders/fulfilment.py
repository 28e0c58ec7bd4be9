"""Fulfilment, line by line: a tour attended, a stay checked out, goods shipped.

Each line records when it was done and by whom (goods: with carrier and tracking number). An
order becomes `fulfilled` when every line still owed (not refunded in full) is done, and only
then is `hooks.order_fulfilled` sent, once per order: the ledger releases care-fund income from
it, so a tour's cancellation window must not end because the rice in the same order shipped.
A tour cannot be marked attended before its session starts, nor a stay checked out before its
check-out day.

`apply_` functions never commit; the others are use cases and commit once.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime
from flask_babel import gettext as _

from market import clock, hooks
from market.catalog.display import home_datetime
from market.database import use_case
from market.i18n import format_day
from market.orders.emails import queue_mail
from market.orders.errors import OrderError, OrderStateError
from market.orders.lifecycle import apply_transition
from market.payments.service import lock_order
from models import Order, OrderLine, db
from models.catalog import GOODS
from models.orders import OrderStatus

FULFILLABLE = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)


def owed(line: OrderLine) -> bool:
    """Whether the buyer is still owed this line (it was not refunded in full)."""
    return line.refunded_fen < line.amount_fen


def open_lines(order: Order) -> list[OrderLine]:
    """The lines still to attend, check out or ship."""
    return [line for line in order.lines if line.fulfilled_at is None and owed(line)]


def not_before(line: OrderLine) -> datetime | None:
    """The moment from which a tour line can be marked attended (its start) or a stay line
    checked out (the start of its check-out day: marking it earlier by mistake would release the
    care share of nights not yet stayed); None when nothing holds it back."""
    if line.kind == "tour" and line.tour_session is not None:
        return line.tour_session.starts_at
    if line.kind == "homestay" and line.check_out is not None:
        return clock.start_of_day(line.check_out)
    return None


def is_due(line: OrderLine, now: datetime | None = None) -> bool:
    """Whether the line can be marked done now (the today page and the order page ask)."""
    start = not_before(line)
    return start is None or (now or clock.now()) >= start


def _line(order: Order, line_id) -> OrderLine:
    for line in order.lines:
        if str(line.id) == str(line_id):
            return line
    raise OrderError(_("That line is not part of this order."))


def _check_order(order: Order) -> None:
    if order.status not in FULFILLABLE:
        raise OrderStateError(_("Only a paid order can be marked done."))


def _done(line: OrderLine, actor, now: datetime, carrier: str | None = None,
          tracking_number: str | None = None) -> None:
    line.fulfilled_at = now
    line.fulfilled_by_id = getattr(actor, "id", actor if isinstance(actor, int) else None)
    line.carrier, line.tracking_number = carrier, tracking_number


def apply_complete(order: Order, actor=None, now: datetime | None = None) -> bool:
    """Mark the order fulfilled if nothing is left to do, sending `hooks.order_fulfilled`; an
    order that was fulfilled once never is again (a later partial refund leaves it be)."""
    if order.status not in FULFILLABLE or open_lines(order):
        return False
    if not any(line.fulfilled_at for line in order.lines):
        return False
    if any(event.to_status == OrderStatus.FULFILLED for event in order.events):
        return False
    apply_transition(order, OrderStatus.FULFILLED, actor=actor, reason="all done", now=now)
    hooks.order_fulfilled.send(order)
    return True


def apply_mark_done(order: Order, line_id, actor, now: datetime | None = None) -> OrderLine:
    """A tour line attended or a stay line checked out (goods are done by shipping them)."""
    now = now or clock.now()
    _check_order(order)
    line = _line(order, line_id)
    if line.kind in GOODS:
        raise OrderError(_("Goods are marked done by shipping them, with carrier and tracking number."))
    if line.fulfilled_at is not None:
        raise OrderStateError(_("This is already marked done."))
    if not owed(line):
        raise OrderStateError(_("This was refunded in full: there is nothing to mark."))
    if not is_due(line, now):
        when = format_datetime(home_datetime(not_before(line)), "short")
        if line.kind == "tour":
            raise OrderStateError(_("This session starts at %(time)s. It can be marked attended from "
                                    "then.", time=when))
        raise OrderStateError(_("These guests leave on %(day)s. The stay can be marked checked out "
                                "from that day.", day=format_day(line.check_out)))
    _done(line, actor, now)
    apply_complete(order, actor, now)
    return line


def apply_ship(order: Order, actor, carrier: str | None, tracking_number: str | None,
               now: datetime | None = None) -> list[OrderLine]:
    """Every goods line not yet shipped leaves in one parcel; the buyer gets the shipped mail."""
    now = now or clock.now()
    _check_order(order)
    lines = [line for line in open_lines(order) if line.kind in GOODS]
    if not lines:
        raise OrderStateError(_("Nothing in this order is waiting to be shipped."))
    carrier, tracking_number = (carrier or "").strip(), (tracking_number or "").strip()
    if not carrier or not tracking_number or len(carrier) > 60 or len(tracking_number) > 60:
        raise OrderError(_("Please give the carrier and the tracking number."))
    for line in lines:
        _done(line, actor, now, carrier, tracking_number)
    apply_complete(order, actor, now)
    queue_mail(order, "shipped", shipped=lines)
    return lines


def apply_hand_over(order: Order, actor, now: datetime | None = None) -> list[OrderLine]:
    """Goods given to the buyer at the home (a walk-in sale): done without a parcel or mail."""
    now = now or clock.now()
    _check_order(order)
    lines = [line for line in open_lines(order) if line.kind in GOODS]
    for line in lines:
        _done(line, actor, now)
    apply_complete(order, actor, now)
    return lines


@use_case
def mark_done(order: Order, line_id, actor) -> OrderLine:
    """Decided on the order locked and read afresh, so a refund or cancellation committed
    meanwhile is seen."""
    line = apply_mark_done(lock_order(order.id), line_id, actor)
    db.session.commit()
    return line


@use_case
def ship(order: Order, actor, carrier: str | None, tracking_number: str | None) -> list[OrderLine]:
    lines = apply_ship(lock_order(order.id), actor, carrier, tracking_number)
    db.session.commit()
    return lines
