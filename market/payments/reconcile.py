"""Compare Stripe's charges, refunds and disputes with ours (`flask payments reconcile`), fill in
what the webhooks could not (processing fees, waiting events), and resend refunds never sent.

A lost dispute is recorded on our side as a settled refund (`initiated_by="dispute"`), which
Stripe does not count among a charge's refunds: those are compared with Stripe's disputes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from market.payments import stripe_api, stripe_calls, stripe_events
from market.payments.disputes import OUTCOMES
from models import Dispute, Payment, Refund, WebhookEvent, db
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
    disputes = [d.to_dict() for d in
                api.v1.disputes.list({"created": created, "limit": 100}).auto_paging_iter()]
    seen_intents = set()
    for charge in charges:
        if charge.get("status") == "succeeded" and charge.get("paid"):
            seen_intents.add(charge.get("payment_intent"))
            _compare_charge(charge, report)
    seen_refunds = {r["id"] for r in refunds}
    for listed in refunds:
        _compare_refund(listed, report.problems)
    for listed in disputes:
        _compare_dispute(listed, report.problems)
    _ours_unknown_to_stripe(since, seen_intents, seen_refunds, report.problems)
    seen_disputes = {d["id"] for d in disputes}
    for dispute in db.session.scalars(select(Dispute).where(Dispute.created_at >= since)):
        if dispute.provider_ref not in seen_disputes:
            report.problems.append(
                f"dispute {dispute.provider_ref} (order {dispute.order_id}): not among Stripe's disputes")
    for inbox in db.session.scalars(select(WebhookEvent).where(
            WebhookEvent.provider == "stripe", WebhookEvent.processed_at.is_(None))
            .order_by(WebhookEvent.id)):
        report.problems.append(f"event {inbox.event_id} ({inbox.type}) not applied: {inbox.error}")
    db.session.commit()
    return report


def _compare_charge(c: dict, report: Report) -> None:
    """One charge against ours: the payment it paid, or the payments of a whole cart's orders
    paid at once (`stripe_group`), compared as their sum."""
    intent = c.get("payment_intent")
    label = f"charge {c['id']} ({intent}, {c['amount']} {c['currency'].upper()})"
    payments = db.session.scalars(select(Payment).where(
        Payment.provider == "stripe", Payment.provider_charge_ref == intent).order_by(Payment.id)).all()
    if not payments:
        donation = db.session.scalar(select(Donation).where(
            Donation.provider == "stripe", Donation.provider_ref == intent))
        if donation is None:
            report.problems.append(f"{label}: no payment of ours")
        elif donation.status != "received" or donation.received_fen != c["amount"]:
            report.problems.append(f"{label}: donation {donation.reference} is {donation.status}, "
                                   f"received {donation.received_fen}")
        return
    ids = ", ".join(str(p.id) for p in payments)
    what = f"payment {ids}" if len(payments) == 1 else f"payments {ids}"
    amount = sum(p.amount_fen for p in payments)
    if amount != c["amount"] or any(p.currency != c["currency"].upper() for p in payments):
        report.problems.append(f"{label}: ours is {amount} {payments[0].currency} ({what})")
    returned = all(p.status == "returned" for p in payments) and c.get("amount_refunded") == c["amount"]
    for payment in payments:
        if payment.status != "succeeded" and not returned:  # a wrong amount given back is as it should be
            report.problems.append(
                f"{label}: paid at Stripe, ours is {payment.status} (payment {payment.id})")
    ours_refunded = sum(r.amount_fen for p in payments for r in p.refunds
                        if r.status == "succeeded" and r.initiated_by != "dispute")
    if ours_refunded != c.get("amount_refunded", 0):
        report.problems.append(f"{label}: Stripe refunded {c.get('amount_refunded', 0)}, "
                               f"ours {ours_refunded} ({what})")
    details = stripe_calls.charge_details(c)
    if "fee_fen" in details and any(p.fee_fen is None for p in payments):
        report.fees_filled += stripe_calls.record_details(intent, details)


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


def _compare_dispute(d: dict, problems: list[str]) -> None:
    """Stripe's dispute against ours: known, same amount, same outcome (a lost one reversed)."""
    label = (f"dispute {d['id']} ({d.get('payment_intent')}, {d['amount']} {d['currency'].upper()}, "
             f"{d['status']})")
    dispute = db.session.scalar(select(Dispute).where(Dispute.provider_ref == d["id"]))
    if dispute is None:
        if db.session.scalar(select(Donation.id).where(Donation.provider == "stripe",
                                                       Donation.provider_ref == d.get("payment_intent"))):
            problems.append(f"{label}: a dispute of a donation, for a person")
        else:
            problems.append(f"{label}: no dispute of ours")
        return
    theirs = OUTCOMES.get(d["status"], "open")
    if dispute.amount_fen != d["amount"]:
        problems.append(f"{label}: ours is {dispute.amount_fen}")
    if dispute.status != theirs:
        problems.append(f"{label}: ours is {dispute.status}")
    elif theirs == "lost" and dispute.refund_id is None:
        problems.append(f"{label}: lost, but nothing reversed in our books")


def _ours_unknown_to_stripe(since: datetime, seen_intents: set, seen_refunds: set,
                            problems: list[str]) -> None:
    for payment in db.session.scalars(select(Payment).where(
            Payment.provider == "stripe", Payment.status == "succeeded", Payment.confirmed_at >= since)):
        if payment.provider_charge_ref not in seen_intents:
            problems.append(
                f"payment {payment.id} ({payment.provider_charge_ref}): not among Stripe's charges")
    for refund in db.session.scalars(select(Refund).join(Payment, Payment.id == Refund.payment_id).where(
            Payment.provider == "stripe", Refund.created_at >= since, Refund.initiated_by != "dispute")):
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


def check_webhook_endpoints(url: str | None = None) -> list[str]:
    """What is wrong with the Stripe webhook endpoints that point at us (all enabled ones, or the
    one at `url`): an API version other than ours, events missing. Empty when all is well."""
    found = [e.to_dict() for e in stripe_api.client().v1.webhook_endpoints.list({"limit": 100})
             .auto_paging_iter()]
    mine = [e for e in found if e.get("status") == "enabled" and (url is None or e.get("url") == url)]
    if not mine:
        return [f"no enabled webhook endpoint{' at ' + url if url else ''}"]
    problems = []
    for endpoint in mine:
        label = f"webhook endpoint {endpoint['id']} ({endpoint.get('url')})"
        if stripe_events.version_problem({"api_version": endpoint.get("api_version")}) is not None:
            problems.append(f"{label}: API version {endpoint.get('api_version') or '(account default)'}, "
                            f"must be {stripe_api.API_VERSION}")
        enabled = set(endpoint.get("enabled_events") or [])
        missing = [name for name in stripe_events.REQUIRED_EVENTS
                   if name not in enabled and "*" not in enabled]
        if missing:
            problems.append(f"{label}: events not enabled: {', '.join(missing)}")
    return problems
