"""Stripe webhooks and the page the buyer returns to from Stripe Checkout.

`POST /payments/stripe/webhook` (CSRF-exempt, raw body) hands the delivery to
`market.payments.webhooks.receive`: 400 for a bad signature or body, 200 for an event applied or
a duplicate, 500 for a failure Stripe should deliver again. What the event makes us ask Stripe is
sent only after the response has gone.

`GET /payments/stripe/return?session_id=…` never trusts the redirect: it shows "confirming your
payment" (refreshing itself, no JavaScript) until a webhook has confirmed, then the receipt link.
`GET /payments/stripe/cancelled?p=…` is where a buyer who leaves the Checkout page lands: "not
completed, nothing was charged", and a way to pay again.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, make_response, render_template, request, url_for
from sqlalchemy import select

from market.extensions import csrf, db
from market.jobs import outbox
from market.payments import stripe_api, stripe_group, stripe_provider, webhooks
from models import Order, Payment

bp = Blueprint("stripe_webhooks", __name__, url_prefix="/payments/stripe")


@bp.before_request
def _only_when_configured():
    if not stripe_api.is_configured(current_app):
        abort(404)


@bp.post("/webhook")
@csrf.exempt
def webhook():
    with outbox.holding() as calls:  # calls to Stripe: enqueued once the answer has been sent
        status, note = webhooks.receive(request.get_data(cache=False),
                                        request.headers.get("Stripe-Signature"))
    response = make_response({"status": note}, status)
    if calls:
        response.call_on_close(lambda: outbox.enqueue(calls))
    return response


# ---- the page the buyer comes back to ---------------------------------------------------------


@bp.get("/return")
def returned():
    session_id = request.args.get("session_id", "")
    if not session_id.startswith("cs_"):
        abort(404)
    payment = db.session.scalar(select(Payment).where(Payment.provider == "stripe",
                                                      Payment.provider_ref == session_id)
                                .order_by(Payment.order_id).limit(1))
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
                           order_url=_order_url(order), receipt_url=_receipt_url(order),
                           group_orders=stripe_group.group_orders(payment))
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
    if payment.status in ("needs_review", "returned"):
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


def _order_url(order: Order) -> str:
    return url_for("orders.detail", reference=order.reference)


def _receipt_url(order: Order) -> str:
    return url_for("orders.receipt", reference=order.reference)
