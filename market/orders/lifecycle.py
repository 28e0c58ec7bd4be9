"""The order lifecycle: every status change, and the use cases that make them.

pending_payment → paid → fulfilled, plus cancelled, expired, refunded and partially_refunded
(the table is `models.orders.ORDER_TRANSITIONS`). Every change goes through `apply_transition`,
which records an OrderEvent (who, when, why) and refuses anything not in the table.

Use-case functions (no prefix) commit once. Helpers prefixed `apply_` never commit: they run
inside a caller's transaction (including the hook receivers in receivers.py). A use case that
decides from an order's state first locks the order and reads it afresh
(`market.payments.service.lock_order`): a payment webhook may have committed since the caller
read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, select

from market import clock, hooks
from market.booking import service as booking
from market.booking.service import BookingError
from market.database import reset_write_intent, set_write_intent, use_case
from market.money import parse_major
from market.orders.emails import queue_mail
from market.orders.errors import OrderError, OrderStateError
from market.orders.tokens import is_form_token
from market.payments.providers import get_provider
from market.payments.service import (
    PaymentError,
    apply_abandon_attempts,
    apply_request_refund,
    lock_order,
    refundable_by_line,
)
from models import Listing, Order, OrderEvent, OrderLine, TourSession, db
from models.catalog import GOODS
from models.orders import ORDER_TRANSITIONS, REFUNDABLE_STATUSES, OrderStatus

DEFAULT_CANCEL_HOURS = booking.DEFAULT_CANCEL_HOURS


@dataclass(frozen=True)
class Buyer:
    """The buyer acting on their own order (a guest has no id): pass it as `actor` so the
    timeline says the customer did it."""

    id: int | None = None
    actor_kind = "customer"


def apply_transition(order: Order, to_status: str, *, actor=None, reason: str = "",
                     now: datetime | None = None) -> OrderEvent:
    """Move `order` to `to_status` and record who, when and why; OrderError if not allowed.

    `actor`: a Buyer, a user or user id (the home's staff), or None (the system)."""
    if to_status not in ORDER_TRANSITIONS.get(order.status, frozenset()):
        raise OrderStateError(_("This order cannot go from %(old)s to %(new)s.",
                           old=status_label(order.status), new=status_label(to_status)))
    actor_id = getattr(actor, "id", actor if isinstance(actor, int) else None)
    kind = getattr(actor, "actor_kind", "system" if actor is None else "staff")
    event = OrderEvent(order_id=order.id, from_status=order.status, to_status=to_status,
                       actor_id=actor_id, actor_kind=kind, reason=reason or "", created_at=now or clock.now())
    order.status = to_status
    order.events.append(event)
    db.session.flush()
    return event


def apply_release(order: Order) -> None:
    """Give back everything `order` still holds (seats, nights, stock)."""
    for line in order.lines:
        apply_release_line(order, line)
    db.session.flush()


def apply_release_line(order: Order, line: OrderLine) -> None:
    """Give back what one line still holds (its seats, nights or stock)."""
    if not line.holds_inventory:
        return
    if line.kind == "tour" and line.session_id:
        booking.release_seats(line.session_id, line.quantity)
    elif line.kind == "homestay":
        booking.release_nights(line.id)
    elif line.kind in GOODS:
        listing = db.session.get(Listing, line.listing_id)
        if not listing.made_to_order and listing.stock is not None:
            if order.paid_at is not None:
                booking.restock(line.listing_id, line.quantity)
            else:
                booking.release_stock(line.listing_id, line.quantity)
    line.holds_inventory = False


def apply_expire(order: Order, *, reason: str = "hold expired", now: datetime | None = None) -> bool:
    """An unpaid order's hold ended: release it and mark it expired. False if not unpaid."""
    if order.status != OrderStatus.PENDING_PAYMENT:
        return False
    apply_release(order)
    order.hold_expires_at = None
    apply_transition(order, OrderStatus.EXPIRED, reason=reason, now=now)
    return True


def apply_rereserve(order: Order, now: datetime | None = None) -> bool:
    """Try to take again everything an expired or cancelled unpaid order held (all or nothing)."""
    now = now or clock.now()
    lines = [line for line in order.lines if not line.holds_inventory]
    savepoint = db.session.begin_nested()
    ok = True
    for line in sorted(lines, key=reservation_order):
        nights = booking.nights_between(line.check_in, line.check_out) if line.kind == "homestay" else []
        if line.kind == "homestay" and line.check_in < clock.local_today(now):
            ok = False
        if not ok or not reserve_line(line, nights, now):
            ok = False
            break
    if not ok:
        savepoint.rollback()
        return False
    for line in lines:
        line.holds_inventory = True
    savepoint.commit()
    return True


def apply_mark_paid(order: Order, payment) -> bool:
    """The order is paid: goods holds become sales, status → paid, `hooks.order_paid` sent once.

    Returns False (and does nothing) when the order is already paid."""
    if order.status == OrderStatus.PAID or order.paid_at is not None:
        return False
    for line in order.lines:
        if line.kind in GOODS and line.holds_inventory:
            listing = db.session.get(Listing, line.listing_id)
            if not listing.made_to_order and listing.stock is not None:
                booking.consume_stock(line.listing_id, line.quantity)
    now = getattr(payment, "confirmed_at", None) or clock.now()
    apply_transition(order, OrderStatus.PAID, actor=getattr(payment, "recorded_by_id", None),
                     reason=f"payment {payment.provider} {payment.method or ''}".strip(), now=now)
    order.paid_at = now
    order.hold_expires_at = None
    order.provider = payment.provider
    db.session.flush()
    hooks.order_paid.send(order, payment=payment)
    queue_mail(order, "paid")
    return True


def full_refund_amounts(order: Order) -> dict[int, int]:
    """Per line, everything still refundable (the whole order given back)."""
    return {line_id: fen for line_id, fen in refundable_by_line(order).items() if fen > 0}


def reserve_line(line: OrderLine, nights: list[date], now: datetime) -> bool:
    if line.kind == "tour":
        return booking.reserve_seats(line.session_id, line.quantity, now)
    if line.kind == "homestay":
        return booking.reserve_nights(line.room_id, nights, line.id)
    listing = db.session.get(Listing, line.listing_id)
    if listing.made_to_order or listing.stock is None:
        return True
    return booking.reserve_stock(line.listing_id, line.quantity)


def reservation_order(line: OrderLine) -> tuple:
    """Reserve rows in one global order so concurrent checkouts never deadlock (PostgreSQL)."""
    return ({"tour": 0, "homestay": 1}.get(line.kind, 2), line.session_id or line.room_id or line.listing_id)


@use_case
def expire_due(now: datetime | None = None, limit: int = 500) -> int:
    """Release every unpaid order whose hold has ended (`flask orders expire`). Commits.

    Each order is locked and read again before it is expired: a payment confirmed meanwhile
    (the webhook holds the lock while it decides) keeps its order; one being decided is skipped."""

    now = now or clock.now()
    due = db.session.scalars(
        select(Order.id).where(Order.status == OrderStatus.PENDING_PAYMENT, Order.hold_expires_at <= now)
        .order_by(Order.hold_expires_at).limit(limit)).all()
    count = 0
    for order_id in due:
        order = lock_order(order_id, skip_locked=True)
        if order is not None and order.hold_expires_at is not None and order.hold_expires_at <= now:
            count += apply_expire(order, now=now)
    db.session.commit()
    return count


def release_ended_holds(now: datetime | None = None) -> int:
    """Checkout (a POST) calls this before it reserves, so that a hold which has ended never
    refuses a buyer before the minute's job has run. A cheap check first; only when a hold has
    ended, a short write transaction of its own releases it (begun IMMEDIATE on SQLite, and
    begun afresh so that a deferred read transaction is never upgraded, which could deadlock).
    Pages (GET) never call it: they read ended holds as free (market/booking/holds.py)."""
    now = now or clock.now()
    due = db.session.scalar(select(exists().where(Order.status == OrderStatus.PENDING_PAYMENT,
                                                  Order.hold_expires_at <= now)))
    db.session.rollback()
    if not due:
        return 0
    token = set_write_intent(True)
    try:
        return expire_due(now)
    except Exception:
        db.session.rollback()
        current_app.logger.exception("releasing ended holds before checkout failed")
        return 0
    finally:
        reset_write_intent(token)


def shown_status(order: Order, now: datetime | None = None) -> str:
    """The status a page shows: an unpaid order whose hold has ended is expired from that
    moment, before the minute's job records it (pages never write)."""
    if (order.status == OrderStatus.PENDING_PAYMENT and order.hold_expires_at is not None
            and order.hold_expires_at <= (now or clock.now())):
        return OrderStatus.EXPIRED
    return order.status


def cancel_deadline(line: OrderLine, listing: Listing) -> datetime | None:
    """Until when a paid line may be cancelled by the buyer; None = until shipped (goods)."""
    if line.kind in GOODS:
        return None
    hours = booking.cancel_hours(listing)
    if line.kind == "tour":
        start = db.session.get(TourSession, line.session_id).starts_at
    else:
        start = booking.check_in_at(line.check_in)
    return start - timedelta(hours=hours)


def _owed(line: OrderLine) -> bool:
    return line.refunded_fen < line.amount_fen


def can_customer_cancel(order: Order, now: datetime | None = None) -> bool:
    now = now or clock.now()
    if order.status == OrderStatus.PENDING_PAYMENT:
        return shown_status(order, now) == OrderStatus.PENDING_PAYMENT  # a hold that ended: nothing to cancel
    if order.status not in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED) or \
            any(line.fulfilled_at for line in order.lines):
        return False  # something was shipped, attended or stayed
    for line in order.lines:
        if not _owed(line):
            continue  # a line cancelled (refunded) before: its deadline no longer matters
        deadline = cancel_deadline(line, db.session.get(Listing, line.listing_id))
        if deadline is not None and now > deadline:
            return False
    return True


@use_case
def cancel_order(order: Order, *, actor=None, by_staff: bool = False, reason: str = "",
                 now: datetime | None = None) -> Order:
    """Cancel: unpaid orders freely; paid ones within policy (customers) or always (staff,
    with a reason), releasing what they hold and refunding in full through the provider.

    Decided from the order as it is once locked, never from the copy the caller read: a payment
    confirmed meanwhile makes it a paid order, cancelled with its refund. An unpaid order's open
    payment attempts are closed (the Checkout Session expired) after the commit."""

    order = apply_cancel_order(order, actor=actor, by_staff=by_staff, reason=reason, now=now)
    db.session.commit()
    return order


def apply_cancel_order(order: Order, *, actor=None, by_staff: bool = False, reason: str = "",
                       now: datetime | None = None) -> Order:
    """cancel_order without the commit (another use case cancels inside its own)."""
    now = now or clock.now()
    reason = (reason or "").strip()
    if by_staff and not reason:
        raise OrderError(_("Please give the reason for cancelling."))
    if len(reason) > 500:
        raise OrderError(_("Please keep the reason under 500 characters."))
    order = lock_order(order.id)
    if order.status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED):
        raise OrderStateError(_("This order can no longer be cancelled."))
    if not by_staff and not can_customer_cancel(order, now):
        raise OrderStateError(_("This order can no longer be cancelled online. Please contact the home."))
    was_paid = order.status != OrderStatus.PENDING_PAYMENT
    apply_release(order)
    order.hold_expires_at = None
    apply_transition(order, OrderStatus.CANCELLED, actor=actor, reason=reason or "cancelled by the buyer",
                     now=now)
    if not was_paid:
        apply_abandon_attempts(order)
    elif amounts := full_refund_amounts(order):
        try:
            apply_request_refund(order, amounts, reason or "cancelled", actor=actor,
                                 idempotency_key=f"cancel-{order.id}",
                                 initiated_by="staff" if by_staff else "customer")
        except PaymentError as error:
            db.session.rollback()
            raise OrderError(str(error)) from None
    queue_mail(order, "cancelled")
    return order


@use_case
def mark_paid_offline(order: Order, *, actor, method: str, amount_text: str, reason: str = "",
                      now: datetime | None = None) -> Order:
    """Home staff record an offline payment through the offline provider's `confirm`: who
    (actor), when, method, amount; an amount other than the total needs `reason` (a discount
    the home granted, or the rest given to the care fund: market/payments/offline.py)."""

    order = lock_order(order.id)
    if order.status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.EXPIRED):
        raise OrderStateError(_("This order cannot be marked paid now (it is %(status)s).",
                           status=status_label(order.status)))
    try:
        amount = parse_major(amount_text)
    except ValueError:
        raise OrderError(_("Please enter the amount received, such as 128.00.")) from None
    try:
        get_provider("offline").confirm(order, actor=actor, method=method, amount_fen=amount, reason=reason)
    except PaymentError as error:
        db.session.rollback()
        raise OrderError(str(error)) from None
    if order.status != OrderStatus.PAID:
        db.session.rollback()
        raise OrderStateError(_("This order's booking has ended and could not be taken again. Please "
                           "return the money."))
    db.session.commit()
    return order


@use_case
def refund_lines(order: Order, *, actor, requests: dict[int, tuple[str, str]], reason: str,
                 token: str):
    """Home staff refund part of an order: per line a quantity (seats, nights or units, at the
    line's unit price) or an amount in yuan, never more than is left to refund on that line.

    The refund goes through the order's provider (Stripe: sent after the commit, settled by its
    webhook; offline: settled at once) and the ledger reverses through `refund_settled`. The form's
    `token` makes the idempotency key, so sending the same form twice refunds once. Commits."""

    reason = (reason or "").strip()
    if not reason:
        raise OrderError(_("Please give the reason for the refund."))
    if len(reason) > 500:
        raise OrderError(_("Please keep the reason under 500 characters."))
    if not is_form_token(token):
        raise OrderError(_("The form expired. Please reload the page and try again."))
    order = lock_order(order.id)
    if order.status not in REFUNDABLE_STATUSES:
        raise OrderStateError(_("Only a paid order can be refunded."))
    amounts = _refund_amounts(order, requests)
    try:
        refund = apply_request_refund(order, amounts, reason, actor=actor,
                                      idempotency_key=f"staff-{order.id}-{token}", initiated_by="staff")
    except PaymentError as error:
        db.session.rollback()
        raise OrderError(str(error)) from None
    db.session.commit()
    return refund


def _refund_amounts(order: Order, requests: dict[int, tuple[str, str]]) -> dict[int, int]:

    lines = {line.id: line for line in order.lines}
    amounts: dict[int, int] = {}
    for line_id, (quantity_text, amount_text) in requests.items():
        line = lines.get(line_id)
        if line is None:
            raise OrderError(_("That line is not part of this order."))
        quantity_text, amount_text = (quantity_text or "").strip(), (amount_text or "").strip()
        if quantity_text and amount_text:
            raise OrderError(_("%(line)s: give a quantity or an amount, not both.", line=line.title))
        if quantity_text:
            try:
                count = booking.parse_quantity(quantity_text, maximum=line.quantity)
                # A line paid at a discount gives back its share of what was received.
                amounts[line_id] = (line.amount_fen * count // line.quantity if line.discount_fen
                                    else count * line.unit_price_fen)
            except BookingError as error:
                raise OrderError(f"{line.title}: {error}") from None
        elif amount_text:
            try:
                amounts[line_id] = parse_major(amount_text)
            except ValueError:
                raise OrderError(_("%(line)s: enter an amount such as 12.50.", line=line.title)) from None
    if not any(amounts.values()):
        raise OrderError(_("Choose what to refund: a quantity or an amount for at least one line."))
    return amounts


def status_label(status: str) -> str:
    labels = {"pending_payment": _("waiting for payment"), "paid": _("paid"), "fulfilled": _("done"),
              "cancelled": _("cancelled"), "expired": _("expired"), "refunded": _("refunded"),
              "partially_refunded": _("partly refunded")}
    return labels.get(status, status)
