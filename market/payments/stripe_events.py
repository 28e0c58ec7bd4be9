"""Stripe events: how each verified event changes our payments, refunds and donations.

`apply_inbox(inbox, event)` applies one stored event inside the caller's transaction. Transitions
only go forward and are decided from the objects' state, read under lock (the order, then its
payment, then the refund, as everywhere), so events may arrive in any order and at the same time.

An event about a payment not confirmed yet (a refund or dispute before its payment) is kept
*deferred* with the PaymentIntent it waits on. It is replayed (`replay_deferred`) after every
commit that changes that payment, after its own deferral (the payment may have been confirmed
meanwhile), and by `flask payments reconcile` / `replay-deferred`. Refund and dispute events
decide the same way whatever their type: wait while the payment is unconfirmed, flag for a person
while it is under review, apply once it succeeded.

Outcomes that need a person (a flagged order, an event that cannot apply) are written to the
inbox row's `error`, which the admin payments page lists. Calls to Stripe never happen here:
they are queued for after the commit (`market.jobs.outbox`).

What is particular to one payment for a whole cart (`stripe_group`) is in stripe_group_events.py.
"""

from __future__ import annotations

import json
import logging

import stripe
from flask import current_app
from sqlalchemy import select, update

from market import clock, hooks
from market.database import lock_one
from market.jobs import outbox
from market.payments import stripe_donations
from market.payments import stripe_group_events as group
from market.payments.disputes import apply_dispute
from market.payments.service import (
    apply_fail_refund,
    apply_flag,
    apply_settle_mismatch,
    apply_settle_refund,
    is_mismatch_refund,
    lock_order,
    move_payment,
    refundable_by_line,
    rescale,
    take_flags,
)
from market.payments.stripe_api import API_VERSION, Deferred, Ignored, client
from market.payments.stripe_provider import PROVIDER
from models import Payment, Refund, WebhookEvent, db

log = logging.getLogger(__name__)


def handle_event(event: dict) -> str:
    """Apply one verified Stripe event (a plain dict). Never commits. Returns a short note."""
    handler = HANDLERS.get(event.get("type", ""))
    if handler is None:
        return "ignored: unhandled type"
    return handler(event["data"]["object"], event)


def version_problem(event: dict) -> str | None:
    """Why an event cannot be read by this code, or None. Stripe renders each event at the API
    version of the webhook endpoint: ours must be `API_VERSION` (or a later release of the same
    major, whose objects have the same shape; that is logged)."""
    version = event.get("api_version")
    if version == API_VERSION:
        return None
    if version and version.rsplit(".", 1)[-1] == API_VERSION.rsplit(".", 1)[-1]:
        log.warning("stripe event %s rendered at %s, pinned %s (same major release): applied",
                    event.get("id"), version, API_VERSION)
        return None
    return (f"rendered at API version {version or '(none)'}; this market reads {API_VERSION}: "
            f"create the webhook endpoint at version {API_VERSION}")


def apply_inbox(inbox: WebhookEvent, event: dict) -> str:
    """Apply the stored `event` and note the outcome on `inbox`: "processed", "deferred" or
    "refused" (another API version: kept unapplied for a person). Never commits; unexpected errors
    propagate (the caller rolls back)."""
    if (problem := version_problem(event)) is not None:
        log.error("stripe event %s refused: %s", event.get("id"), problem)
        inbox.error = f"refused: {problem}"[:2000]
        return "refused"
    take_flags()
    try:
        with db.session.begin_nested():
            note = handle_event(event)
    except Deferred as exc:
        take_flags()
        inbox.error = f"deferred: {exc}"[:2000]
        inbox.object_ref = exc.object_ref
        return "deferred"
    except Ignored as exc:
        note = f"ignored: {exc}"
    flags = take_flags()
    if flags:
        inbox.error = ("flagged: " + "; ".join(flags))[:2000]
    else:
        inbox.error = note[:2000] if note.startswith("ignored") else None
    inbox.processed_at = clock.now()
    return "processed"


def replay_deferred(object_ref: str | None) -> int:
    """Apply the stored events waiting for `object_ref`, oldest first, each in a transaction of
    its own, then what they queued. Commits. Returns how many were applied."""
    if not object_ref:
        return 0
    waiting = db.session.scalars(
        select(WebhookEvent.id).where(WebhookEvent.provider == "stripe",
                                      WebhookEvent.object_ref == object_ref,
                                      WebhookEvent.processed_at.is_(None))
        .order_by(WebhookEvent.id)).all()
    db.session.commit()
    done = 0
    for inbox_id in waiting:
        inbox = lock_one(select(WebhookEvent).where(WebhookEvent.id == inbox_id,
                                                    WebhookEvent.processed_at.is_(None)))
        if inbox is None:  # applied meanwhile by another replay
            db.session.commit()
            continue
        try:
            outcome = apply_inbox(inbox, json.loads(inbox.payload))
        except Exception as exc:  # noqa: BLE001 - kept, tried again at the next replay
            db.session.rollback()
            log.exception("replaying stripe event %s failed", inbox_id)
            db.session.execute(update(WebhookEvent).where(WebhookEvent.id == inbox_id).values(
                error=f"deferred: replay failed: {type(exc).__name__}: {exc}"[:2000]))
            db.session.commit()
            continue
        db.session.commit()
        done += outcome == "processed"
    return done


def replay_all_deferred() -> int:
    """Replay every event still waiting (reconcile, `flask payments replay-deferred`)."""
    refs = db.session.scalars(select(WebhookEvent.object_ref).distinct().where(
        WebhookEvent.provider == "stripe", WebhookEvent.processed_at.is_(None),
        WebhookEvent.object_ref.is_not(None))).all()
    db.session.commit()
    return sum(replay_deferred(ref) for ref in refs)


# ---- checkout sessions ----------------------------------------------------------------------


def _locked_payment(payment_id: int) -> Payment:
    """The payment, locked after its order (order → payment, as everywhere), read afresh."""
    order_id = db.session.scalar(select(Payment.order_id).where(Payment.id == payment_id))
    lock_order(order_id)
    return lock_one(select(Payment).where(Payment.id == payment_id))


def on_session_completed(session: dict, _event: dict) -> str:
    if stripe_donations.is_donation(session):
        return stripe_donations.on_completed(session)
    payments = group.session_payments(session)
    intent = session.get("payment_intent")
    for payment in payments:
        if intent and not payment.provider_charge_ref:
            payment.provider_charge_ref = intent
    if all(payment.status in ("succeeded", "needs_review") for payment in payments):
        return "already confirmed"
    if session.get("payment_status") != "paid":
        return "completed, payment pending (asynchronous method)"
    if len(payments) > 1:
        note = group.group_paid(payments, session)
    else:
        payment = PROVIDER.confirm(payments[0].order, payment=payments[0], session=session)
        note = "paid" if payment.status == "succeeded" else "amount mismatch: order flagged"
    outbox.later(replay_deferred, payments[0].provider_charge_ref)  # refunds that arrived before it
    return note


def on_async_failed(session: dict, event: dict) -> str:
    return _ended_unpaid(session, event, "failed", "async payment failed")


def on_session_expired(session: dict, event: dict) -> str:
    return _ended_unpaid(session, event, "cancelled", "checkout session expired")


def _ended_unpaid(session: dict, event: dict, status: str, reason: str) -> str:
    if stripe_donations.is_donation(session):
        return stripe_donations.on_unpaid(session, reason)
    payments = [p for p in group.session_payments(session) if p.status == "pending"]
    if not payments:
        return "ignored: payment already ended"
    if session.get("payment_status") == "paid":  # a paid session never ends unpaid; trust the state
        return on_session_completed(session, event)
    return "; ".join(_end_attempt(payment, status, reason) for payment in payments)


def _end_attempt(payment: Payment, status: str, reason: str) -> str:
    """An attempt ended unpaid: the order is released unless another attempt is under way."""
    move_payment(payment, status)
    db.session.flush()
    newer = db.session.scalar(select(Payment.id).where(
        Payment.order_id == payment.order_id, Payment.id != payment.id,
        Payment.status.in_(("pending", "succeeded", "needs_review"))).limit(1))
    if newer is None:
        hooks.payment_failed.send(payment, reason=reason)
        return reason
    return f"{reason}; another attempt (payment {newer}) goes on"


# ---- refunds and disputes ---------------------------------------------------------------------


def _confirmed_payment(intent_id: str | None, what: str, obj: dict | None = None) -> Payment:
    """The confirmed (or under review) payment of `intent_id`, locked; Deferred until then. One
    PaymentIntent that paid a whole cart (`stripe_group`) has one payment per order: a refund
    `obj` of ours names its own (`_shared_refund_payment`); otherwise the first is taken."""
    ids = db.session.scalars(select(Payment.id).where(
        Payment.provider == "stripe", Payment.provider_charge_ref == intent_id)
        .order_by(Payment.id)).all() if intent_id else []
    if not ids:
        stripe_donations.refuse_if_donation(intent_id, what)
        raise Deferred(f"{what} before the payment was confirmed", intent_id)
    payment_id = ids[0]
    if len(ids) > 1 and obj is not None:
        payment_id = group.shared_refund_payment(obj, ids)
        if payment_id is None:
            raise group.Shared(ids)
    payment = _locked_payment(payment_id)
    if payment.status not in ("succeeded", "needs_review", "returned"):
        raise Deferred(f"{what} before the payment was confirmed", intent_id)
    return payment


def on_charge_refunded(charge: dict, event: dict) -> str:
    refunds = (charge.get("refunds") or {}).get("data")
    if refunds is not None:
        return "; ".join(on_refund_object(r, event) for r in refunds) or "no refunds"
    # Not expanded in events since API 2022-11-15: the list is fetched after the commit.
    payment = _confirmed_payment(charge.get("payment_intent"), "refund")
    outbox.later(fetch_refunds, charge["id"], payment.provider_charge_ref, event["id"])
    return "refunds to be fetched from Stripe"


def _under_review(payment: Payment, ref: str) -> str:
    apply_flag(payment.order, f"Stripe refund ({ref}) of a payment under review (payment {payment.id})")
    return "refund of a payment under review: flagged"


def on_refund_object(obj: dict, _event: dict | None) -> str:
    try:
        payment = _confirmed_payment(obj.get("payment_intent"), "refund", obj)
    except group.Shared as shared:
        text = f"Stripe refund {obj['id']} ({obj.get('amount')}) of a whole cart's payment made outside " \
               "the market"
        return group.shared_for_a_person(shared.payment_ids, text)
    if payment.status != "succeeded":
        return _refund_of_unrecorded(payment, obj)
    refund = _our_refund(payment, obj)
    if refund is None:
        refund = _external_refund(payment, obj)
        if refund is None:
            return f"refund {obj['id']} made outside the market: flagged"
    refund.provider_ref = refund.provider_ref or obj["id"]
    status = obj.get("status")
    if status == "succeeded":
        if refund.status == "pending":
            apply_settle_refund(refund, int(obj["amount"]))
            return f"refund {refund.id} settled"
        if refund.status == "failed":
            apply_flag(payment.order, f"Stripe refund {obj['id']} succeeded after it was recorded failed")
        return f"refund {refund.id} already {refund.status}"
    if status in ("failed", "canceled"):
        if refund.status == "pending":
            apply_fail_refund(refund, obj.get("failure_reason") or status)
            return f"refund {refund.id} failed"
        if refund.status == "succeeded":
            apply_flag(payment.order, f"Stripe refund {obj['id']} failed after it settled")
        return f"refund {refund.id} already {refund.status}"
    return f"refund {refund.id} still {status}"


def _refund_of_unrecorded(payment: Payment, obj: dict) -> str:
    """A refund of money that never entered the books (a payment that did not match its order):
    ours, sent back in full, settles it; any other is for a person."""
    refund = _our_refund(payment, obj)
    if refund is None or not is_mismatch_refund(refund):
        return _under_review(payment, obj["id"])
    refund.provider_ref = refund.provider_ref or obj["id"]
    if obj.get("status") == "succeeded":
        apply_settle_mismatch(refund, int(obj["amount"]))
        return f"refund {refund.id} settled: payment {payment.id} returned"
    if obj.get("status") in ("failed", "canceled"):
        apply_fail_refund(refund, obj.get("failure_reason") or obj["status"])
        return f"refund {refund.id} failed"
    return f"refund {refund.id} still {obj.get('status')}"


def _our_refund(payment: Payment, obj: dict) -> Refund | None:
    refund = lock_one(select(Refund).where(Refund.provider_ref == obj["id"]))
    raw = (obj.get("metadata") or {}).get("refund_id", "")
    if refund is not None or not raw.isdigit():
        return refund
    refund = lock_one(select(Refund).where(Refund.id == int(raw), Refund.payment_id == payment.id))
    if refund is not None and refund.provider_ref not in (None, obj["id"]):
        return None  # our request already has its own Stripe refund: this one is another
    age = clock.now().timestamp() - int(obj.get("created") or 0)
    if refund is None and age < current_app.config["STRIPE_UNKNOWN_REFUND_GRACE"]:
        raise RuntimeError(f"refund {raw} not visible yet")  # 500: Stripe delivers it again
    return refund  # None: not ours after all (e.g. a request whose record was lost): a person looks


def _external_refund(payment: Payment, obj: dict) -> Refund | None:
    """A refund we did not ask for (the Stripe dashboard). Once it has succeeded the money is gone,
    so the books follow: it is recorded over what is left of each line, a partial one split in
    proportion (largest remainder), so the care fund gives back its share as for any refund. One
    larger than what is left, or not settled, needs a person. Either way an admin is told."""
    left = {str(k): v for k, v in refundable_by_line(payment.order).items() if v > 0}
    amount = int(obj.get("amount") or 0)
    if obj.get("status") != "succeeded" or not 0 < amount <= sum(left.values()):
        apply_flag(payment.order, f"Stripe refund {obj['id']} ({amount}) was made outside the market")
        return None
    apply_flag(payment.order, f"Stripe refund {obj['id']} ({amount}) made outside the market: recorded")
    refund = Refund(
        payment_id=payment.id, payment=payment, order_id=payment.order_id,
        idempotency_key=f"stripe-external-{obj['id']}", provider_ref=obj["id"], status="pending",
        amount_fen=amount, currency=payment.currency,
        lines_json=json.dumps(rescale(left, amount), sort_keys=True),
        reason="refunded in the Stripe dashboard", initiated_by="provider",
    )
    db.session.add(refund)
    db.session.flush()
    return refund


def on_dispute(dispute: dict, _event: dict) -> str:
    """A dispute opened, changed or closed: recorded and decided by `disputes.apply_dispute`."""
    try:
        payment = _confirmed_payment(dispute.get("payment_intent"), "dispute", {})
    except group.Shared as shared:
        text = f"Stripe dispute {dispute.get('id')} ({dispute.get('amount')}) of a whole cart's payment"
        return group.shared_for_a_person(shared.payment_ids, text)
    if payment.status != "succeeded":
        apply_flag(payment.order, f"Stripe dispute {dispute.get('id')} of payment {payment.id} "
                                  f"({payment.status}): please check it")
        return "dispute of a payment not in the books: flagged"
    return apply_dispute(payment, dispute)


HANDLERS = {
    "checkout.session.completed": on_session_completed,
    "checkout.session.async_payment_succeeded": on_session_completed,
    "checkout.session.async_payment_failed": on_async_failed,
    "checkout.session.expired": on_session_expired,
    "charge.refunded": on_charge_refunded,
    "refund.created": on_refund_object,
    "refund.updated": on_refund_object,
    "refund.failed": on_refund_object,
    # Refunds of charges at endpoints older than 2024-10-28.acacia, and still sent beside
    # refund.updated: the same Refund object, applied the same way.
    "charge.refund.updated": on_refund_object,
    "charge.dispute.created": on_dispute,
    "charge.dispute.updated": on_dispute,
    "charge.dispute.closed": on_dispute,
}


# The events a webhook endpoint must send us (docs/payments.md); `charge.refund.updated` is read
# too, for endpoints that still send it, but is not needed at our version.
REQUIRED_EVENTS = tuple(sorted(set(HANDLERS) - {"charge.refund.updated"}))


# ---- after the commit -------------------------------------------------------------------------


def fetch_refunds(charge_id: str, intent_id: str, event_id: str) -> None:
    """List a charge's refunds (outside any transaction) and apply each in one of its own. If
    Stripe cannot be reached, the event goes back to waiting, to be replayed by reconcile."""
    try:
        listed = [r.to_dict() for r in
                  client().v1.refunds.list({"charge": charge_id, "limit": 100}).auto_paging_iter()]
    except stripe.StripeError as exc:
        log.warning("stripe: cannot list refunds of %s: %s", charge_id, exc)
        db.session.execute(update(WebhookEvent).where(
            WebhookEvent.provider == "stripe", WebhookEvent.event_id == event_id).values(
            processed_at=None, object_ref=intent_id,
            error=f"deferred: refunds of {charge_id} could not be fetched: {exc}"[:2000]))
        db.session.commit()
        return
    for obj in listed:
        take_flags()
        note = on_refund_object(obj, None)
        flags = take_flags()
        if flags:
            db.session.execute(update(WebhookEvent).where(
                WebhookEvent.provider == "stripe", WebhookEvent.event_id == event_id).values(
                error=("flagged: " + "; ".join(flags))[:2000]))
        db.session.commit()
        log.info("stripe: %s (listed for %s)", note, charge_id)
