"""Stripe webhooks and the page the buyer returns to from Stripe Checkout.

`POST /payments/stripe/webhook` (CSRF-exempt, raw body): the signature is verified with
`stripe.Webhook.construct_event` and `STRIPE_WEBHOOK_TOLERANCE`; a bad or stale signature gets 400
and changes nothing. Each event is stored once in the `webhook_events` inbox (unique provider +
event id) and applied in the SAME transaction as the order and ledger changes it causes; a
duplicate delivery gets 200 and does nothing. An event that fails unexpectedly is rolled back,
kept with its error and answered 500, so Stripe delivers it again and it is retried. What the
event makes us ask Stripe (a refund, its fee, a list of refunds) and the replay of events that
waited for it run after the commit.

`GET /payments/stripe/return?session_id=…` never trusts the redirect: it shows "confirming your
payment" (refreshing itself, no JavaScript) until a webhook has confirmed, then the receipt link.
`GET /payments/stripe/cancelled?p=…` is where a buyer who leaves the Checkout page lands: "not
completed, nothing was charged", and a way to pay again.
"""

from __future__ import annotations

import json
import logging

import stripe
from flask import Blueprint, abort, current_app, make_response, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from market.extensions import csrf, db
from market.payments import outbox, stripe_events, stripe_provider
from models import Order, Payment, WebhookEvent, utcnow

log = logging.getLogger(__name__)

bp = Blueprint("stripe_webhooks", __name__, url_prefix="/payments/stripe")


@bp.before_request
def _only_when_configured():
    if not stripe_provider.is_configured(current_app):
        abort(404)


@bp.post("/webhook")
@csrf.exempt
def webhook():
    status, note = receive(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    return {"status": note}, status


def verify(payload: bytes, signature: str | None):
    """The verified event, or None for a bad, missing or stale signature or a malformed body."""
    try:
        return stripe.Webhook.construct_event(
            payload, signature, current_app.config["STRIPE_WEBHOOK_SECRET"],
            tolerance=current_app.config.get("STRIPE_WEBHOOK_TOLERANCE", 300),
        )
    except (ValueError, stripe.SignatureVerificationError):
        return None


def receive(payload: bytes, signature: str | None) -> tuple[int, str]:
    """Verify, store once and apply one delivery. Returns (HTTP status, short note)."""
    if verify(payload, signature) is None:
        return 400, "bad signature"
    text = payload.decode("utf-8")
    event = json.loads(text)
    if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        return 400, "not an event"
    return process(event, text)


def process(event: dict, text: str) -> tuple[int, str]:
    """Store `event` in the inbox and apply it, in one transaction (commits)."""
    inbox = WebhookEvent(provider="stripe", event_id=event["id"], type=event["type"][:80],
                         payload=text, received_at=utcnow())
    db.session.add(inbox)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        inbox = db.session.scalar(
            select(WebhookEvent)
            .where(WebhookEvent.provider == "stripe", WebhookEvent.event_id == event["id"])
            .with_for_update()
        )
        if inbox is None or inbox.processed_at is not None:
            db.session.rollback()
            return 200, "duplicate"
        # Stored earlier but not applied (it failed or was waiting): try again now.
    try:
        outcome = stripe_events.apply_inbox(inbox, event)
    except Exception as exc:  # noqa: BLE001 - rolled back, kept, and retried by Stripe
        db.session.rollback()
        log.exception("stripe event %s failed", event["id"])
        _keep_failure(event, text, f"{type(exc).__name__}: {exc}")
        return 500, "error"
    if outcome == "deferred":  # its payment may have been confirmed while this one was decided
        outbox.later(stripe_events.replay_deferred, inbox.object_ref)
    db.session.commit()
    outbox.run()
    return 200, outcome


def _keep_failure(event: dict, text: str, error: str) -> None:
    try:
        inbox = db.session.scalar(select(WebhookEvent).where(
            WebhookEvent.provider == "stripe", WebhookEvent.event_id == event["id"]))
        if inbox is None:
            inbox = WebhookEvent(provider="stripe", event_id=event["id"], type=event["type"][:80],
                                 payload=text, received_at=utcnow())
            db.session.add(inbox)
        inbox.error = error[:2000]
        db.session.commit()
    except Exception:  # noqa: BLE001 - the 500 already tells Stripe to resend
        db.session.rollback()
        log.exception("could not record the failure of %s", event["id"])


# ---- the page the buyer comes back to ---------------------------------------------------------


@bp.get("/return")
def returned():
    session_id = request.args.get("session_id", "")
    if not session_id.startswith("cs_"):
        abort(404)
    payment = db.session.scalar(select(Payment).where(Payment.provider == "stripe",
                                                      Payment.provider_ref == session_id))
    if payment is None:
        abort(404)
    return _payment_page(payment, _state(payment, db.session.get(Order, payment.order_id)))


@bp.get("/cancelled")
def cancelled():
    """The buyer left the Checkout page: say so plainly, and offer to pay again."""
    payment_id = stripe_provider.cancelled_payment_id(request.args.get("p", ""))
    payment = db.session.get(Payment, payment_id) if payment_id is not None else None
    if payment is None or payment.provider != "stripe":
        abort(404)
    state = _state(payment, db.session.get(Order, payment.order_id))
    return _payment_page(payment, "not_completed" if state == "confirming" else state)


def _payment_page(payment: Payment, state: str):
    order = db.session.get(Order, payment.order_id)
    page = render_template("payments/stripe_return.html", order=order, payment=payment, state=state,
                           order_url=_order_url(order), receipt_url=_receipt_url(order))
    response = make_response(page)
    if state == "confirming":
        response.headers["Refresh"] = "4"
    response.headers["Cache-Control"] = "no-store"
    return response


def _state(payment: Payment, order: Order) -> str:
    if payment.status == "succeeded" and order.status in ("paid", "fulfilled", "partially_refunded"):
        return "paid"
    if payment.status == "succeeded" and payment.refunds and order.status in ("cancelled", "refunded",
                                                                              "expired"):
        return _ended_before_payment(order) or "refunded"
    if payment.status == "needs_review":
        return "review"
    if payment.status in ("failed", "cancelled"):
        return "not_paid"
    if payment.status == "succeeded":
        return "review"
    return "confirming"


def _ended_before_payment(order: Order) -> str | None:
    """"late_refund" when the hold had ended before the payment came, "cancelled_refund" when
    the order had been cancelled; None when it was paid in time."""
    for event in order.events:
        if event.from_status == "pending_payment" and event.to_status == "expired":
            return "late_refund"
        if event.from_status == "pending_payment" and event.to_status == "cancelled":
            return "cancelled_refund"
        if event.to_status == "paid":
            return None
    return None


def _first_url(candidates: list[tuple[str, dict]]) -> str | None:
    for endpoint, args in candidates:
        if endpoint in current_app.view_functions:
            try:
                return url_for(endpoint, **args)
            except Exception:  # noqa: BLE001 - try the next name
                continue
    return None


def _order_url(order: Order) -> str | None:
    return _first_url([("orders.detail", {"reference": order.reference}),
                       ("orders.show", {"reference": order.reference}),
                       ("orders.order", {"reference": order.reference})])


def _receipt_url(order: Order) -> str | None:
    return _first_url([("orders.receipt", {"reference": order.reference})]) or _order_url(order)
