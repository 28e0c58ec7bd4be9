"""Compare Stripe's charges and refunds with our payments and refunds (`flask payments reconcile`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from market.payments import stripe_provider
from models import Payment, Refund, db


def reconcile(since: datetime) -> list[str]:
    """One line per difference between Stripe and our records since `since` (aware UTC)."""
    api = stripe_provider.client()
    created = {"gte": int(since.timestamp())}
    problems: list[str] = []
    seen_intents: set[str] = set()
    for charge in api.v1.charges.list({"created": created, "limit": 100}).auto_paging_iter():
        c = charge.to_dict()
        if c.get("status") != "succeeded" or not c.get("paid"):
            continue
        intent = c.get("payment_intent")
        seen_intents.add(intent)
        payment = db.session.scalar(select(Payment).where(
            Payment.provider == "stripe", Payment.provider_charge_ref == intent))
        label = f"charge {c['id']} ({intent}, {c['amount']} {c['currency'].upper()})"
        if payment is None:
            problems.append(f"{label}: no payment of ours")
            continue
        if payment.amount_fen != c["amount"] or payment.currency != c["currency"].upper():
            problems.append(
                f"{label}: ours is {payment.amount_fen} {payment.currency} (payment {payment.id})")
        if payment.status != "succeeded":
            problems.append(f"{label}: paid at Stripe, ours is {payment.status} (payment {payment.id})")
        ours_refunded = sum(r.amount_fen for r in payment.refunds if r.status == "succeeded")
        if ours_refunded != c.get("amount_refunded", 0):
            problems.append(f"{label}: Stripe refunded {c.get('amount_refunded', 0)}, "
                            f"ours {ours_refunded} (payment {payment.id})")
    seen_refunds: set[str] = set()
    for listed in api.v1.refunds.list({"created": created, "limit": 100}).auto_paging_iter():
        r = listed.to_dict()
        seen_refunds.add(r["id"])
        refund = db.session.scalar(select(Refund).where(Refund.provider_ref == r["id"]))
        raw = (r.get("metadata") or {}).get("refund_id", "")
        if refund is None and raw.isdigit():
            refund = db.session.get(Refund, int(raw))
        label = f"refund {r['id']} ({r['amount']} {r['currency'].upper()}, {r['status']})"
        if refund is None:
            problems.append(f"{label}: no refund of ours")
            continue
        if refund.amount_fen != r["amount"]:
            problems.append(f"{label}: ours is {refund.amount_fen} (refund {refund.id})")
        theirs = {"succeeded": "succeeded", "failed": "failed", "canceled": "failed"}.get(
            r["status"], "pending")
        if theirs != refund.status:
            problems.append(f"{label}: ours is {refund.status} (refund {refund.id})")
    for payment in db.session.scalars(select(Payment).where(
            Payment.provider == "stripe", Payment.status == "succeeded", Payment.confirmed_at >= since)):
        if payment.provider_charge_ref not in seen_intents:
            problems.append(
                f"payment {payment.id} ({payment.provider_charge_ref}): not among Stripe's charges")
    for refund in db.session.scalars(select(Refund).join(Payment, Payment.id == Refund.payment_id).where(
            Payment.provider == "stripe", Refund.created_at >= since)):
        if refund.provider_ref is None:
            problems.append(f"refund {refund.id}: never reached Stripe ({refund.failure or 'no reference'})")
        elif refund.provider_ref not in seen_refunds:
            problems.append(f"refund {refund.id} ({refund.provider_ref}): not among Stripe's refunds")
    return problems


def resend_refunds() -> int:
    """Send again, with their stored idempotency keys, refunds that never reached Stripe. Commits."""
    provider = stripe_provider.StripeProvider()
    sent = 0
    for refund in db.session.scalars(select(Refund).join(Payment, Payment.id == Refund.payment_id).where(
            Payment.provider == "stripe", Refund.status == "pending", Refund.provider_ref.is_(None))).all():
        provider.refund(refund)
        if refund.provider_ref is not None or refund.status != "pending":
            sent += 1
        db.session.commit()
    return sent
