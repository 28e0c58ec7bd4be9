"""Stripe events about one payment for a whole cart (`stripe_group`): which payments a Checkout
Session pays (one order's attempt or every payment of a group attempt), the group's payment
confirmed order by order, and a refund or dispute of a shared PaymentIntent that cannot be told
to one order. Decided from `stripe_events`, in its transaction and order of locks (the orders,
then the payments)."""

from __future__ import annotations

from sqlalchemy import select

from market.database import lock_one
from market.payments.service import apply_flag, lock_order, rescale
from market.payments.stripe_api import Ignored
from market.payments.stripe_provider import PROVIDER
from models import Payment, Refund, db


def session_payment_ids(session: dict) -> list[int]:
    """The payments a session pays: one order's attempt, or every payment of a group attempt
    (`stripe_group`), oldest order first."""
    ids = db.session.scalars(select(Payment.id).where(
        Payment.provider == "stripe", Payment.provider_ref == session["id"])
        .order_by(Payment.order_id)).all()
    metadata = session.get("metadata") or {}
    group = metadata.get("payment_group", "")
    if not ids and group:
        ids = db.session.scalars(select(Payment.id).where(
            Payment.provider == "stripe", Payment.group_key == group,
            (Payment.provider_ref.is_(None)) | (Payment.provider_ref == session["id"]))
            .order_by(Payment.order_id)).all()
    raw = metadata.get("payment_id", "")
    if not ids and raw.isdigit():
        ids = db.session.scalars(select(Payment.id).where(
            Payment.id == int(raw), Payment.provider == "stripe",
            (Payment.provider_ref.is_(None)) | (Payment.provider_ref == session["id"]))).all()
    if not ids:
        raise Ignored(f"no payment for session {session['id']}")
    return list(ids)


def session_payments(session: dict) -> list[Payment]:
    """The session's payments, locked: all their orders first, then the payments."""
    ids = session_payment_ids(session)
    order_ids = db.session.execute(select(Payment.id, Payment.order_id).where(Payment.id.in_(ids))).all()
    by_id = dict(order_ids)
    for order_id in sorted(set(by_id.values())):
        lock_order(order_id)
    payments = [lock_one(select(Payment).where(Payment.id == pid)) for pid in ids]
    for payment in payments:
        payment.provider_ref = payment.provider_ref or session["id"]
    return payments


def group_paid(payments: list[Payment], session: dict) -> str:
    """One session paid the orders of a whole cart: each payment is confirmed with its own
    order's amount (each order paid, or its ended hold handled, on its own; one sale entry per
    home). Money that does not match the group (amount or currency) is split over the payments
    in proportion and every one is given back in full, as for one order."""
    amount = int(session.get("amount_total") or 0)
    currency = (session.get("currency") or "").upper()
    waiting = [p for p in payments if p.status in ("pending", "cancelled")]
    expected = sum(p.amount_fen for p in payments)
    matches = amount == expected and all(p.currency == currency for p in payments)
    shares = {p.id: p.amount_fen for p in payments} if matches else {
        int(k): v for k, v in rescale({str(p.id): p.amount_fen for p in payments}, amount).items()}
    notes = []
    for payment in waiting:
        part = dict(session, amount_total=shares[payment.id])
        done = PROVIDER.confirm(payment.order, payment=payment, session=part, mismatch=not matches)
        notes.append(f"order {payment.order_id}: "
                     + ("paid" if done.status == "succeeded" else "amount mismatch: order flagged"))
    for payment in payments:
        if payment not in waiting and payment.status not in ("succeeded", "needs_review"):
            apply_flag(payment.order, f"Stripe session {session['id']} paid, payment {payment.id} "
                                      f"is {payment.status}: please check it")
            notes.append(f"order {payment.order_id}: payment {payment.status}, flagged")
    return "; ".join(notes)


class Shared(Exception):  # noqa: N818 - control flow: the object cannot be told to one order
    def __init__(self, payment_ids: list[int]):
        super().__init__(payment_ids)
        self.payment_ids = payment_ids


def shared_refund_payment(obj: dict, payment_ids: list[int]) -> int | None:
    """Which payment of a shared PaymentIntent a refund belongs to: ours carries our refund id
    (or is known by its Stripe id); a refund made elsewhere cannot be told to one order."""
    raw = (obj.get("metadata") or {}).get("refund_id", "")
    found = db.session.scalar(select(Refund.payment_id).where(Refund.provider_ref == obj.get("id")))
    if found is None and raw.isdigit():
        found = db.session.scalar(select(Refund.payment_id).where(Refund.id == int(raw)))
    return found if found in payment_ids else None


def shared_for_a_person(payment_ids: list[int], text: str) -> str:
    """A refund or dispute of a whole cart's payment made outside the market: every order of it
    is flagged (a person decides which order it concerns); nothing is booked."""
    order_ids = db.session.scalars(select(Payment.order_id).where(Payment.id.in_(payment_ids))).all()
    for order_id in sorted(set(order_ids)):
        apply_flag(lock_order(order_id), text)
    return f"{text}: flagged"
