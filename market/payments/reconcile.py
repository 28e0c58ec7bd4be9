"""Compare Stripe's charges and refunds with ours (`flask payments reconcile`), fill in what the
webhooks could not (processing fees, waiting events), and resend refunds never sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update

from market.payments import stripe_api, stripe_calls, stripe_events
from models import Payment, Refund, WebhookEvent, db
from models.fund import Donation


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    fees_filled: int = 0
    replayed: int = 0


def reconcile(since: datetime) -> Report:
    """Replay waiting events, then list Stripe's charges and refunds since `since` (aware UTC),
    record the processing fees we lack, and report every difference. Commits."""
    report = Report(replayed=stripe_events.replay_all_deferred())
    api = stripe_api.client()
    created = {"gte": int(since.timestamp())}
    # Stripe is asked everything first, outside any transaction; the comparison then reads ours.
    charges = [c.to_dict() for c in api.v1.charges.list(
        {"created": created, "limit": 100, "expand": ["data.balance_transaction"]}).auto_paging_iter()]
    refunds = [r.to_dict() for r in
               api.v1.refunds.list({"created": created, "limit": 100}).auto_paging_iter()]
    seen_intents = set()
    for charge in charges:
        if charge.get("status") == "succeeded" and charge.get("paid"):
            seen_intents.add(charge.get("payment_intent"))
            _compare_charge(charge, report)
    seen_refunds = {r["id"] for r in refunds}
    for listed in refunds:
        _compare_refund(listed, report.problems)
    _ours_unknown_to_stripe(since, seen_intents, seen_refunds, report.problems)
    for inbox in db.session.scalars(select(WebhookEvent).where(
            WebhookEvent.provider == "stripe", WebhookEvent.processed_at.is_(None))
            .order_by(WebhookEvent.id)):
        report.problems.append(f"event {inbox.event_id} ({inbox.type}) not applied: {inbox.error}")
    db.session.commit()
    return report


def _compare_charge(c: dict, report: Report) -> None:
    intent = c.get("payment_intent")
    label = f"charge {c['id']} ({intent}, {c['amount']} {c['currency'].upper()})"
    payment = db.session.scalar(select(Payment).where(
        Payment.provider == "stripe", Payment.provider_charge_ref == intent))
    if payment is None:
        donation = db.session.scalar(select(Donation).where(
            Donation.provider == "stripe", Donation.provider_ref == intent))
        if donation is None:
            report.problems.append(f"{label}: no payment of ours")
        elif donation.status != "received" or donation.received_fen != c["amount"]:
            report.problems.append(f"{label}: donation {donation.reference} is {donation.status}, "
                                   f"received {donation.received_fen}")
        return
    if payment.amount_fen != c["amount"] or payment.currency != c["currency"].upper():
        report.problems.append(
            f"{label}: ours is {payment.amount_fen} {payment.currency} (payment {payment.id})")
    if payment.status != "succeeded":
        report.problems.append(f"{label}: paid at Stripe, ours is {payment.status} (payment {payment.id})")
    ours_refunded = sum(r.amount_fen for r in payment.refunds if r.status == "succeeded")
    if ours_refunded != c.get("amount_refunded", 0):
        report.problems.append(f"{label}: Stripe refunded {c.get('amount_refunded', 0)}, "
                               f"ours {ours_refunded} (payment {payment.id})")
    details = stripe_calls.charge_details(c)
    if payment.fee_fen is None and "fee_fen" in details:
        db.session.execute(update(Payment).where(Payment.id == payment.id).values(
            fee_fen=details["fee_fen"], fee_currency=details["fee_currency"]))
        report.fees_filled += 1


def _compare_refund(r: dict, problems: list[str]) -> None:
    refund = db.session.scalar(select(Refund).where(Refund.provider_ref == r["id"]))
    raw = (r.get("metadata") or {}).get("refund_id", "")
    if refund is None and raw.isdigit():
        refund = db.session.get(Refund, int(raw))
        if refund is not None and refund.provider_ref not in (None, r["id"]):
            refund = None
    label = f"refund {r['id']} ({r['amount']} {r['currency'].upper()}, {r['status']})"
    if refund is None:
        problems.append(f"{label}: no refund of ours")
        return
    if refund.amount_fen != r["amount"]:
        problems.append(f"{label}: ours is {refund.amount_fen} (refund {refund.id})")
    theirs = {"succeeded": "succeeded", "failed": "failed", "canceled": "failed"}.get(r["status"], "pending")
    if theirs != refund.status:
        problems.append(f"{label}: ours is {refund.status} (refund {refund.id})")


def _ours_unknown_to_stripe(since: datetime, seen_intents: set, seen_refunds: set,
                            problems: list[str]) -> None:
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


def resend_refunds() -> int:
    """Send again, with their stored idempotency keys, refunds that never reached Stripe. Commits."""
    waiting = db.session.execute(select(Refund.id, Refund.idempotency_key).join(
        Payment, Payment.id == Refund.payment_id).where(
        Payment.provider == "stripe", Refund.status == "pending", Refund.provider_ref.is_(None))).all()
    db.session.commit()
    sent = 0
    for refund_id, key in waiting:
        stripe_calls.send_refund(refund_id, key)
        ref, status = db.session.execute(
            select(Refund.provider_ref, Refund.status).where(Refund.id == refund_id)).one()
        db.session.commit()
        sent += ref is not None or status != "pending"
    return sent
