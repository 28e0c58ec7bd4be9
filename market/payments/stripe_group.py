"""One Stripe payment for a whole cart: the orders of one checkout paid by one Checkout Session.

A cart from three homes still becomes three orders (one per home: each home runs its own
bookings, and the ledger books each sale to its home), but with Stripe chosen the buyer pays
once. The orders of one checkout (same `checkout_token` and cart owner) still waiting for
payment form the *payment group*; pressing "Pay now" on any of them starts (or reuses) one
Checkout Session whose line items are the lines of all of them.

Each order keeps its own `Payment` row (its own attempt number and idempotency key, amount =
the order's total), and every row of one group attempt carries the same `group_key`: the
session's idempotency key, stored before Stripe is called, exactly as for one order. The
session's `metadata` names the group (`payment_group`) and its orders. The webhook confirms each
payment of the group with its own order's amount, so each order is marked paid (or, after its
hold ended, re-reserved or refunded) on its own and the ledger posts one sale entry per home.
Refunds of one order (or one line) go against the one PaymentIntent, partial, with the refund's
own idempotency key. Stripe's processing fee is split over the group's payments in proportion
to their amounts (largest remainder).

The order set of an attempt is fixed: when an order of the group ends (cancelled, hold ended),
the next press of "Pay now" abandons the session and starts a new one for those left. Cancelling
one order does not close the open session (that would end the others' holds): if the buyer
pays it anyway, that order's share comes back as for any payment after a cancel.
"""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from market import clock
from market.database import lock_one
from market.payments.providers import ProviderError, StartResult
from market.payments.service import apply_flag, lock_order, move_payment
from market.payments.stripe_amounts import refusal
from market.payments.stripe_api import (
    FAILED,
    REFUSED,
    Refused,
    checkout_options,
    not_available,
    order_line_items,
    retry_delay,
    session_key,
    unreachable,
)
from market.payments.stripe_calls import expire_session
from models import Listing, Order, Payment, db
from models.payments import PaymentStatus

log = logging.getLogger(__name__)


class Again(Exception):  # noqa: N818 - control flow: another request made the attempt meanwhile
    pass


def group_key(lead_order_id: int, attempt: int) -> str:
    """The idempotency key of one group attempt (also stored on each of its payments)."""
    return f"market-checkout-group-{lead_order_id}-{attempt}"


def members(order: Order) -> list[int]:
    """The ids of the orders paid together with `order` (itself included), oldest first: the
    orders of its checkout, to be paid by Stripe, still waiting for payment within their hold and
    never refused by Stripe. Just `[order.id]` when it is alone (or not payable itself)."""
    if not order.checkout_token:
        return [order.id]
    now = clock.now()
    rows = db.session.execute(select(Order.id, Order.status, Order.hold_expires_at).where(
        Order.checkout_token == order.checkout_token, Order.cart_owner == order.cart_owner,
        Order.provider == "stripe").order_by(Order.id)).all()
    ids = [r.id for r in rows if r.status == "pending_payment"
           and (r.hold_expires_at is None or r.hold_expires_at > now)]
    refused = set(db.session.scalars(select(Payment.order_id).where(
        Payment.order_id.in_(ids), Payment.failure.like(f"{REFUSED}%")))) if ids else set()
    ids = [i for i in ids if i not in refused]
    return ids if order.id in ids and len(ids) > 1 else [order.id]


def group_orders(payment: Payment) -> list[Order]:
    """The orders one payment's session paid for (the payment's own order alone outside a group)."""
    if not payment.group_key:
        return [db.session.get(Order, payment.order_id)]
    return list(db.session.scalars(select(Order).join(Payment, Payment.order_id == Order.id).where(
        Payment.group_key == payment.group_key).order_by(Order.id)))


# ---- start --------------------------------------------------------------------------------------


def start(provider, order_ids: list[int], reference: str) -> StartResult:
    """Send the buyer to one Checkout Session for all `order_ids` (creating it, or reusing the
    open one). Commits. Raises ProviderError (translated) as `StripeProvider.start_or_raise`."""
    for _try in range(3):
        open_session = _open_session(provider, order_ids)
        db.session.commit()  # nothing is held while Stripe answers
        if open_session is not None:
            reused = provider._reuse(open_session, reference)
            if reused is not None:
                return reused
        try:
            key, params = _prepare(provider, order_ids)
        except Again:
            continue
        session = provider._create(key, params)
        if not record_session(key, session.id):  # an order ended while Stripe answered
            expire_session(session.id)
            raise ProviderError(_("This order cannot be paid now."))
        return StartResult(redirect_url=session.url, reference=reference)
    raise unreachable()


def _pending(order_ids: list[int]) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(
        Payment.order_id.in_(order_ids), Payment.provider == "stripe",
        Payment.status == PaymentStatus.PENDING).order_by(Payment.order_id)))


def _same_attempt(order_ids: list[int], pending: list[Payment]) -> str | None:
    """The group key when every order has exactly one pending attempt and all are one group
    attempt made for exactly these orders; None otherwise."""
    keys = {p.group_key for p in pending}
    if len(pending) != len(order_ids) or len(keys) != 1 or None in keys:
        return None
    key = keys.pop()
    size = db.session.scalar(select(func.count(Payment.id)).where(Payment.group_key == key))
    return key if size == len(order_ids) else None


def _open_session(provider, order_ids: list[int]) -> str | None:
    for order_id in order_ids:
        provider._payable(order_id)  # raises when one cannot be paid now
    pending = _pending(order_ids)
    if _same_attempt(order_ids, pending) and pending[0].provider_ref:
        return pending[0].provider_ref
    return None


def _prepare(provider, order_ids: list[int]) -> tuple[str, dict]:
    """Reuse the unanswered group attempt or store a new one (key before call). Commits."""
    try:
        orders = [lock_order(order_id) for order_id in sorted(order_ids)]
        now = clock.now()
        if any(order.status != "pending_payment" for order in orders):
            raise ProviderError(_("This order cannot be paid now."))
        pending = _pending(order_ids)
        key = _same_attempt(order_ids, pending)
        if key is not None and pending[0].provider_ref:
            raise Again  # another request created the session meanwhile
        if key is not None and not all(provider._expiry_still_valid(o, now) for o in orders):
            key = None
        if key is None:
            _abandon(provider, pending)
            payments = _new_attempt(provider, orders, now)
            key = payments[0].group_key
        else:
            payments = pending
        db.session.flush()
        try:
            params = session_params(provider, orders, payments, key)
        except Refused as refused:  # Stripe would refuse it: it is never sent
            for order, payment in zip(orders, payments, strict=True):
                refuse(order, payment, f"checked before calling Stripe: {refused}")
            db.session.commit()
            raise not_available() from None
        db.session.commit()  # the key is stored before Stripe is called
    except IntegrityError:
        db.session.rollback()
        raise Again from None
    except ProviderError:
        db.session.rollback()
        raise
    return key, params


def _abandon(provider, pending: list[Payment]) -> None:
    """Earlier attempts of these orders end: each cancelled (with every other pending payment of
    its group, so the session's expiry releases nobody) and its session closed."""
    keys = {p.group_key for p in pending if p.group_key}
    for payment in pending:
        move_payment(payment, PaymentStatus.CANCELLED)
    if keys:
        db.session.execute(update(Payment).where(
            Payment.group_key.in_(keys), Payment.status == PaymentStatus.PENDING).values(
            status=PaymentStatus.CANCELLED))
    for ref in {p.provider_ref for p in pending if p.provider_ref}:
        provider.abandon_session(ref)


def _new_attempt(provider, orders: list[Order], now) -> list[Payment]:
    for order in orders:
        provider._move_hold(order, now)
    common = min(order.hold_expires_at for order in orders)  # one session, one expiry
    payments = []
    for order in orders:
        order.hold_expires_at = common
        attempt = (db.session.scalar(select(func.max(Payment.attempt)).where(
            Payment.order_id == order.id)) or 0) + 1
        payments.append(Payment(
            order_id=order.id, order=order, provider="stripe", attempt=attempt,
            idempotency_key=session_key(order.id, attempt), status="pending",
            amount_fen=order.total_fen, currency=order.currency))
    key = group_key(orders[0].id, payments[0].attempt)
    for payment in payments:
        payment.group_key = key
        db.session.add(payment)
    return payments


def session_params(provider, orders: list[Order], payments: list[Payment], key: str) -> dict:
    """The one session's request, from stored values only (a resend is the very same request)."""
    lines = [item for order in orders for item in order_line_items(order)]
    currency = orders[0].currency
    if any(order.currency != currency for order in orders):
        raise Refused("the orders are in more than one currency")
    total = sum(order.total_fen for order in orders)
    currencies = set(db.session.scalars(select(Listing.currency).where(Listing.id.in_(
        [line.listing_id for order in orders for line in order.lines]))))
    why = refusal(currency, current_app.config["CURRENCY"], total, lines, currencies)
    if why is not None:
        raise Refused(why)
    lead, first = orders[0], payments[0]
    ids = ",".join(str(order.id) for order in orders)
    params = checkout_options(current_app, currency, lines)
    params.update({
        "client_reference_id": key,
        "metadata": {"payment_group": key, "order_ids": ids,
                     "order_references": ",".join(order.reference for order in orders),
                     "payment_id": str(first.id), "attempt": str(first.attempt)},
        "payment_intent_data": {"metadata": {"payment_group": key, "order_ids": ids}},
        "expires_at": int(lead.hold_expires_at.timestamp()),
        "success_url": provider.return_url("{CHECKOUT_SESSION_ID}"),
        "cancel_url": provider.cancel_url(first.id),
        "locale": "zh" if (lead.locale or "").startswith("zh") else "en",
    })
    if lead.contact_email:
        params["customer_email"] = lead.contact_email
    return params


# ---- what Stripe answered (short transactions of their own) --------------------------------------


def refuse(order: Order, payment: Payment, why: str) -> None:
    """This attempt is refused for good: the order is flagged for a person (once: the order is
    never sent to Stripe again, the buyer is told to pay the home directly)."""
    move_payment(payment, PaymentStatus.FAILED)
    payment.failure = f"{REFUSED}: {why}"[:2000]
    payment.retry_at = None
    apply_flag(order, f"online payment refused (payment {payment.id}): {why}")
    log.error("stripe: order %s cannot be paid online: %s", order.id, why)


def _attempt_rows(key: str) -> list[tuple[int, int]]:
    """(order id, payment id) of the attempt whose Stripe idempotency key is `key`: one order's
    attempt, or every payment of a group attempt; orders first, as they are locked."""
    return list(db.session.execute(select(Payment.order_id, Payment.id).where(
        (Payment.idempotency_key == key) | (Payment.group_key == key)).order_by(Payment.order_id)).all())


def record_failure(key: str, kind: str, why: str) -> None:
    """Record how the attempt with `key` failed, in a short transaction. Refused: never again.
    Failed (Stripe's 5xx, stored for the key): the attempt ends and the next try makes a new one
    with a new key. Unanswered: the next try resends the same request. Both wait a back-off."""
    rows = _attempt_rows(key)
    orders = {order_id: lock_order(order_id) for order_id, _pid in rows}
    for order_id, payment_id in rows:
        payment = lock_one(select(Payment).where(Payment.id == payment_id))
        if payment.status != PaymentStatus.PENDING:
            continue
        if kind == REFUSED:
            refuse(orders[order_id], payment, why)
            continue
        failures = (db.session.scalar(select(func.sum(Payment.failures)).where(
            Payment.order_id == order_id)) or 0) + 1
        payment.failures += 1
        payment.failure = f"{kind}: {why}"[:2000]
        payment.retry_at = clock.now() + retry_delay(failures)
        if kind == FAILED:  # it may exist at Stripe, unseen: cancelled, as for a cancelled order
            move_payment(payment, PaymentStatus.CANCELLED)
    db.session.commit()


def record_session(key: str, session_id: str) -> bool:
    """Store the session id on its attempt (every payment of a group). False if an order of it
    ended meanwhile: then the others' attempts end too (the caller expires the session) and the
    buyer starts again with the orders left."""
    rows = _attempt_rows(key)
    for order_id, _pid in rows:
        lock_order(order_id)
    db.session.execute(update(Payment).where(
        (Payment.idempotency_key == key) | (Payment.group_key == key),
        Payment.provider_ref.is_(None)).values(provider_ref=session_id))
    statuses = db.session.scalars(select(Payment.status).where(
        (Payment.idempotency_key == key) | (Payment.group_key == key))).all()
    ok = bool(statuses) and all(status == PaymentStatus.PENDING for status in statuses)
    if not ok and len(rows) > 1:
        db.session.execute(update(Payment).where(
            Payment.group_key == key, Payment.status == PaymentStatus.PENDING).values(
            status=PaymentStatus.CANCELLED))
    db.session.commit()
    return ok
