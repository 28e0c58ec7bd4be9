"""The buyer cancels one line of a paid order (the rest stays booked), within that line's policy.

What the line holds is released and its amount refunded through the order's provider, by the
same path as a whole-order cancel (`lifecycle.cancel_order`): the refund's `refund_settled` hook
moves the order to partly refunded and the ledger reverses the line's shares.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from market import clock
from market.database import use_case
from market.orders.emails import queue_mail
from market.orders.errors import OrderError, OrderStateError
from market.orders.lifecycle import _owed, apply_release_line, cancel_deadline, cancel_order
from market.payments.service import PaymentError, apply_request_refund, lock_order, refundable_by_line
from models import Listing, Order, OrderLine, db
from models.catalog import GOODS
from models.orders import SHIPPING_LINE, OrderStatus


def can_customer_cancel_line(order: Order, line: OrderLine, now: datetime | None = None) -> bool:
    """Whether the buyer may cancel this one line of a paid order online: nothing of it
    refunded or done yet, and its own deadline (the listing's cancellation policy) not passed."""
    now = now or clock.now()
    if order.status not in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED):
        return False
    if line.fulfilled_at is not None or line.refunded_fen or not line.holds_inventory:
        return False
    deadline = cancel_deadline(line, db.session.get(Listing, line.listing_id))
    return deadline is None or now <= deadline


@use_case
def cancel_line(order: Order, line_id, *, actor=None, reason: str = "",
                now: datetime | None = None) -> Order:
    """The buyer cancels one line of a paid order within its policy: what the line holds is
    released and the line's amount refunded through the order's provider, by the same path
    as a whole-order cancel (the ledger reverses the line's shares when the refund settles).
    The last line still owed cancels the whole order (shipping refunded with it); the last goods
    line refunds the shipping too (apply_cancel_line). Commits."""

    now = now or clock.now()
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise OrderError(_("Please keep the reason under 500 characters."))
    try:
        line_id = int(line_id)
    except (TypeError, ValueError):
        line_id = None
    order = lock_order(order.id)
    line = next((line for line in order.lines if line.id == line_id), None)
    if line is None:
        raise OrderError(_("That line is not part of this order."))
    if order.status == OrderStatus.PENDING_PAYMENT:
        raise OrderStateError(_("This order is not paid yet: cancel the whole order, or pay it first."))
    if not can_customer_cancel_line(order, line, now):
        raise OrderStateError(_("This can no longer be cancelled online. Please contact the home."))
    if not any(_owed(other) for other in order.lines if other.id != line.id):
        return cancel_order(order, actor=actor, reason=reason, now=now)
    amount = apply_cancel_line(order, line, actor=actor, reason=reason or "line cancelled by the buyer",
                               initiated_by="customer")
    queue_mail(order, "line_cancelled", line=line, amount=amount)
    db.session.commit()
    return order


def apply_cancel_line(order: Order, line: OrderLine, *, actor, reason: str, initiated_by: str,
                      key: str | None = None) -> int:
    """Release what one line of a paid order holds and refund its whole amount through the
    order's provider (no commit, no mail). The order's shipping is refunded with the last goods
    line still owed (while goods remain they are still sent). Returns the amount refunded, in fen."""
    apply_release_line(order, line)
    left = refundable_by_line(order)
    amounts = {line.id: left.get(line.id, 0)}
    last_goods = line.kind in GOODS and not any(
        _owed(other) for other in order.lines if other.id != line.id and other.kind in GOODS)
    if last_goods and left.get(SHIPPING_LINE, 0) > 0:
        amounts[SHIPPING_LINE] = left[SHIPPING_LINE]
    amount = sum(amounts.values())
    try:
        apply_request_refund(order, amounts, reason, actor=actor,
                             idempotency_key=key or f"cancel-line-{line.id}", initiated_by=initiated_by)
    except PaymentError as error:
        db.session.rollback()
        raise OrderError(str(error)) from None
    return amount
