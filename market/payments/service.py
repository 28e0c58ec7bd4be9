"""Payment records and refunds. Functions prefixed `apply_` never commit: the caller's use case
does, so the payment, the order change and the ledger entry commit together or not at all. What a
provider must send to a remote service is written to the durable outbox in that transaction
(`market.jobs.outbox`) and sent by a worker after the commit.

News goes back up only through `market.hooks`: `payment_confirmed` (orders marks the order
paid), `refund_settled` (orders updates lines; the ledger reverses).

Locking: whoever changes an order or its payments locks the order row first (`lock_order`), then
the payment, then the refund, so that two transactions never wait on each other in a circle and
each decides from the rows as they are once it holds the lock.
"""

from __future__ import annotations

import hashlib
import json

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from market import clock, hooks
from market.database import lock_one, writing
from market.payments.providers import StartResult, get_provider
from models import Order, Payment, Refund, db
from models.orders import SHIPPING_LINE
from models.payments import (
    PAYMENT_TRANSITIONS,
    REFUND_INITIATORS,
    REFUND_TRANSITIONS,
    PaymentStatus,
    RefundStatus,
)


class PaymentError(ValueError):
    """A payment or refund that cannot be done; str(error) is a translated message."""


def move_payment(payment: Payment, status: PaymentStatus) -> None:
    """Set a payment's status; a change its transition table does not allow is a bug."""
    if status not in PAYMENT_TRANSITIONS[payment.status]:
        raise ValueError(f"payment {payment.id}: {payment.status} cannot become {status}")
    payment.status = status


def move_refund(refund: Refund, status: RefundStatus) -> None:
    """Set a refund's status; a change its transition table does not allow is a bug."""
    if status not in REFUND_TRANSITIONS[refund.status]:
        raise ValueError(f"refund {refund.id}: {refund.status} cannot become {status}")
    refund.status = status


def lock_order(order_id: int, *, skip_locked: bool = False) -> Order | None:
    """The order and its lines, locked and read afresh (see `market.database.lock_one`)."""
    return lock_one(select(Order).where(Order.id == order_id).options(selectinload(Order.lines)),
                    skip_locked=skip_locked)


def apply_record_payment(order: Order, provider: str, amount_fen: int, currency: str, method: str,
                         actor=None, provider_ref: str | None = None,
                         idempotency_key: str | None = None,
                         provider_charge_ref: str | None = None,
                         fee_fen: int | None = None) -> Payment:
    """Store a confirmed payment of `order` and send `hooks.payment_confirmed`.

    With an `idempotency_key` already recorded, returns that payment and sends nothing.
    """
    if idempotency_key:
        existing = db.session.scalar(select(Payment).where(Payment.idempotency_key == idempotency_key))
        if existing is not None:
            return existing
    if amount_fen < 0:
        raise PaymentError(_("The amount cannot be negative."))
    attempts = db.session.scalar(select(func.count(Payment.id)).where(Payment.order_id == order.id))
    now = clock.now()
    payment = Payment(
        order_id=order.id, order=order, provider=provider, attempt=(attempts or 0) + 1,
        idempotency_key=idempotency_key, provider_ref=provider_ref,
        provider_charge_ref=provider_charge_ref, status="succeeded", amount_fen=amount_fen,
        currency=currency, method=method, fee_fen=fee_fen,
        recorded_by_id=getattr(actor, "id", None), created_at=now, confirmed_at=now,
    )
    db.session.add(payment)
    db.session.flush()
    hooks.payment_confirmed.send(payment)
    return payment


def succeeded_payment(order: Order) -> Payment | None:
    return db.session.scalar(
        select(Payment)
        .where(Payment.order_id == order.id, Payment.status == "succeeded")
        .order_by(Payment.id.desc())
        .limit(1)
    )


def refundable_by_line(order: Order) -> dict[int, int]:
    """Per line, what may still be refunded: amount − refunded − refunds still pending; the
    order's shipping, if any, under `SHIPPING_LINE` (0)."""
    pending: dict[int, int] = {}
    for refund in db.session.scalars(
        select(Refund).where(Refund.order_id == order.id, Refund.status == "pending")
    ):
        for line_id, fen in json.loads(refund.lines_json or "{}").items():
            pending[int(line_id)] = pending.get(int(line_id), 0) + int(fen)
    left = {
        line.id: line.amount_fen - line.refunded_fen - pending.get(line.id, 0) for line in order.lines
    }
    if order.shipping_fen:
        left[SHIPPING_LINE] = (order.shipping_fen - (order.shipping_refunded_fen or 0)
                               - pending.get(SHIPPING_LINE, 0))
    return left


def refund_key(order: Order, amounts_by_line: dict[int, int]) -> str:
    """The default idempotency key of a refund request: the same request in the same state of
    the order (a retry after a rollback) gets the same key, another request another one."""
    earlier = db.session.scalar(select(func.count(Refund.id)).where(Refund.order_id == order.id)) or 0
    lines = json.dumps(sorted(amounts_by_line.items()))
    return f"refund-{order.id}-{earlier + 1}-{hashlib.sha256(lines.encode()).hexdigest()[:16]}"


def apply_request_refund(order: Order, amounts_by_line: dict[int, int], reason: str, actor=None,
                         idempotency_key: str | None = None, initiated_by: str = "staff") -> Refund:
    """Store a refund of `amounts_by_line` ({order_line_id: fen}) and hand it to the provider.

    The Refund (status pending, with its idempotency key) is stored in the caller's transaction;
    a provider that talks to a remote service sends it only after that transaction commits, with
    the stored key, so a rollback sends nothing and a retry can never refund twice. The provider
    may settle at once (`apply_settle_refund`) or later (webhook). `initiated_by` is one of
    REFUND_INITIATORS. With an `idempotency_key` already used, returns that refund.
    """
    if initiated_by not in REFUND_INITIATORS:
        raise ValueError(f"unknown refund initiator {initiated_by!r}")
    if idempotency_key:
        existing = db.session.scalar(select(Refund).where(Refund.idempotency_key == idempotency_key))
        if existing is not None:
            return existing
    payment = succeeded_payment(order)
    if payment is None:
        raise PaymentError(_("This order has no payment to refund."))
    left = refundable_by_line(order)
    cleaned: dict[int, int] = {}
    for line_id, fen in amounts_by_line.items():
        line_id, fen = int(line_id), int(fen)
        if line_id not in left:
            raise PaymentError(_("That line is not part of this order."))
        if fen < 0 or fen > left[line_id]:
            raise PaymentError(_("You cannot refund more than was paid for a line."))
        if fen:
            cleaned[line_id] = fen
    amount = sum(cleaned.values())
    if amount <= 0:
        raise PaymentError(_("There is nothing left to refund."))
    refund = Refund(
        payment_id=payment.id, payment=payment, order_id=order.id,
        idempotency_key=idempotency_key or refund_key(order, cleaned),
        status="pending", amount_fen=amount, currency=order.currency,
        lines_json=json.dumps({str(k): v for k, v in sorted(cleaned.items())}),
        reason=reason or "", requested_by_id=getattr(actor, "id", None), initiated_by=initiated_by,
    )
    db.session.add(refund)
    db.session.flush()
    get_provider(payment.provider).refund(refund)
    return refund


def apply_abandon_attempts(order: Order, keep: Payment | None = None) -> None:
    """Every unpaid attempt of `order` (but `keep`) is cancelled and closed at its provider."""
    for payment in db.session.scalars(select(Payment).where(
            Payment.order_id == order.id, Payment.status == "pending")).all():
        if keep is not None and payment.id == keep.id:
            continue
        move_payment(payment, PaymentStatus.CANCELLED)
        get_provider(payment.provider).abandon(payment)
    db.session.flush()


def rescale(lines: dict[str, int], amount_fen: int) -> dict[str, int]:
    """Split `amount_fen` over lines in proportion to `lines` (largest remainder)."""
    total = sum(lines.values())
    if total == amount_fen or total == 0:
        return dict(lines)
    shares = {k: v * amount_fen // total for k, v in lines.items()}
    rest = amount_fen - sum(shares.values())
    order = sorted(lines, key=lambda k: (-(lines[k] * amount_fen % total), k))
    for key in order[:rest]:
        shares[key] += 1
    return shares


def apply_settle_refund(refund: Refund, amount_fen: int) -> None:
    """The money is back with the buyer: mark succeeded and send `hooks.refund_settled` once."""
    if refund.status == "succeeded":
        return
    if amount_fen <= 0 or amount_fen > refund.amount_fen:
        raise PaymentError(_("The refunded amount does not match the request."))
    if amount_fen != refund.amount_fen:
        lines = {k: int(v) for k, v in json.loads(refund.lines_json).items()}
        refund.lines_json = json.dumps(rescale(lines, amount_fen))
        refund.amount_fen = amount_fen
    move_refund(refund, RefundStatus.SUCCEEDED)
    refund.settled_at = clock.now()
    db.session.flush()
    hooks.refund_settled.send(refund)


def apply_refund_mismatch(order: Order, payment: Payment) -> Refund | None:
    """Money that arrived not as the order asked (another amount or currency) never enters the
    books: it is given back in full, as it was charged. The Refund (no lines) is stored now and
    sent by the provider after the commit; the order stays as it was (still payable, or it
    expires). Returns None when nothing was charged."""
    if payment.amount_fen <= 0:
        return None
    refund = Refund(
        payment_id=payment.id, payment=payment, order_id=order.id,
        idempotency_key=f"mismatch-{payment.id}", status="pending", amount_fen=payment.amount_fen,
        currency=payment.currency, lines_json="{}", initiated_by="market",
        reason="the amount paid differs from the order: given back in full")
    db.session.add(refund)
    db.session.flush()
    get_provider(payment.provider).refund(refund)
    return refund


def apply_settle_mismatch(refund: Refund, amount_fen: int) -> None:
    """The money of a payment that did not match its order is back with the buyer: the refund
    settles and the payment is `returned`; nothing was posted, so nothing is reversed."""
    if refund.status != RefundStatus.PENDING:
        return
    if amount_fen != refund.amount_fen:
        raise PaymentError(_("The refunded amount does not match the request."))
    move_refund(refund, RefundStatus.SUCCEEDED)
    refund.settled_at = clock.now()
    payment = db.session.get(Payment, refund.payment_id)
    move_payment(payment, PaymentStatus.RETURNED)
    order = db.session.get(Order, refund.order_id)
    apply_flag(order, f"payment {payment.id} did not match the order and was returned in full")
    db.session.flush()


def is_mismatch_refund(refund: Refund) -> bool:
    return refund.idempotency_key.startswith("mismatch-")


def pending_refund_fen(order_id: int) -> int:
    """What the buyer has been promised back and the provider has not confirmed yet."""
    return db.session.scalar(select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
        Refund.order_id == order_id, Refund.status == RefundStatus.PENDING)) or 0


def apply_fail_refund(refund: Refund, failure: str) -> None:
    """The provider could not refund: record why and flag the order for a person."""
    if refund.status != "pending":
        return
    move_refund(refund, RefundStatus.FAILED)
    refund.failure = failure
    order = db.session.get(Order, refund.order_id)
    if order is not None:
        apply_flag(order, f"refund {refund.id} failed: {failure}")
    db.session.flush()


FLAGS = "market.payments.flags"


def apply_flag(order: Order, text: str) -> None:
    """Flag `order` for a person (staff see it on the order). A provider event being applied
    meanwhile is listed among the admin's "events that need a look" (`take_flags`)."""
    order.flag = text[:200]
    db.session.info.setdefault(FLAGS, []).append(text)


def take_flags() -> list[str]:
    """The flags set since the last call (and forget them)."""
    return db.session.info.pop(FLAGS, [])


def peek_payment(order: Order) -> StartResult | None:
    """What the order page shows about paying `order`, read only (None for an unknown provider):
    the page offers a button; `start_payment` runs when the buyer presses it (a POST)."""
    try:
        provider = get_provider(order.provider)
    except KeyError:
        return None
    return provider.peek(order)


def start_payment(order: Order) -> StartResult | None:
    """What the buyer does next to pay `order` through its provider (None for an unknown one).
    A provider may record (and commit) a payment attempt, so the caller's read transaction ends
    here and a write transaction of its own begins (IMMEDIATE on SQLite)."""
    try:
        provider = get_provider(order.provider)
    except KeyError:
        return None
    with writing(db.session):
        return provider.start(order)
