"""Hook receivers: news from the payments domain that changes orders (see market/hooks.py).

Each runs inside the sender's transaction and never commits: the payment, the order change
and (through the ledger's own receivers) its journal entry commit together or not at all.
"""

from __future__ import annotations

import json

from market import hooks
from market.orders.emails import queue_mail
from market.orders.fulfilment import apply_complete
from market.orders.lifecycle import (
    Buyer,
    apply_expire,
    apply_mark_paid,
    apply_release,
    apply_rereserve,
    apply_transition,
    full_refund_amounts,
)
from market.payments.service import apply_flag, apply_request_refund
from models import Order, db
from models.orders import ORDER_TRANSITIONS, SHIPPING_LINE, OrderStatus


def _on_payment_confirmed(payment, **_extra) -> None:
    order = payment.order or db.session.get(Order, payment.order_id)
    if payment.currency != order.currency or payment.amount_fen != order.total_fen:
        apply_flag(order, f"payment {payment.id}: {payment.amount_fen} {payment.currency} does not "
                          f"match the total {order.total_fen} {order.currency}")
        return
    if order.status == OrderStatus.PENDING_PAYMENT:
        apply_mark_paid(order, payment)
    elif order.status == OrderStatus.EXPIRED and order.paid_at is None:
        if apply_rereserve(order):
            apply_mark_paid(order, payment)
        else:
            _refund_late(order, payment, "paid after the hold ended; sold out")
    elif order.status == OrderStatus.CANCELLED and order.paid_at is None:
        # Cancelled by the buyer or the home: a late payment never brings it back.
        _refund_late(order, payment, "paid after the order was cancelled")
    else:
        apply_flag(order, f"paid again (payment {payment.id}); please refund")


def _refund_late(order: Order, payment, reason: str) -> None:
    """Money for an order that has ended: it is recorded as received (so the books see it come
    in), then the order is cancelled and the payment refunded in full through the provider."""
    apply_flag(order, f"{reason} (payment {payment.id}), refunded")
    apply_mark_paid(order, payment)
    apply_transition(order, OrderStatus.CANCELLED, reason=reason)
    apply_request_refund(order, full_refund_amounts(order), reason,
                         idempotency_key=f"late-{payment.id}", initiated_by="market")
    queue_mail(order, "cancelled")


def _on_payment_failed(payment, **_extra) -> None:
    order = payment.order or db.session.get(Order, payment.order_id)
    if order.status == OrderStatus.PENDING_PAYMENT:
        apply_expire(order, reason="payment failed")


def _on_payment_disputed(payment, reason: str = "", **_extra) -> None:
    order = payment.order or db.session.get(Order, payment.order_id)
    apply_flag(order, reason or f"payment {payment.id} disputed")


def _on_refund_settled(refund, **_extra) -> None:
    order = db.session.get(Order, refund.order_id)
    by_id = {line.id: line for line in order.lines}
    for line_id, fen in json.loads(refund.lines_json or "{}").items():
        if int(line_id) == SHIPPING_LINE:
            back = (order.shipping_refunded_fen or 0) + int(fen)
            order.shipping_refunded_fen = min(order.shipping_fen, back)
            continue
        line = by_id.get(int(line_id))
        if line is not None:
            line.refunded_fen = min(line.amount_fen, line.refunded_fen + int(fen))
    fully = all(line.refunded_fen >= line.amount_fen for line in order.lines) and \
        (order.shipping_refunded_fen or 0) >= (order.shipping_fen or 0)
    target = OrderStatus.REFUNDED if fully else OrderStatus.PARTIALLY_REFUNDED
    if target in ORDER_TRANSITIONS.get(order.status, frozenset()):
        still_held = order.status in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)
        if target == OrderStatus.REFUNDED and still_held:
            apply_release(order)
        by = refund.requested_by_id
        apply_transition(order, target, actor=Buyer(by) if by and by == order.user_id else by,
                         reason=f"refund {refund.id}: {refund.reason}".strip())
        if target == OrderStatus.PARTIALLY_REFUNDED:
            apply_complete(order)  # what is left may all be done already
    db.session.flush()


def connect_hooks() -> None:
    hooks.payment_confirmed.connect(_on_payment_confirmed)
    hooks.payment_failed.connect(_on_payment_failed)
    hooks.payment_disputed.connect(_on_payment_disputed)
    hooks.refund_settled.connect(_on_refund_settled)
