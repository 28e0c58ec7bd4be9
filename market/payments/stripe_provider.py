"""The `stripe` provider: Stripe Checkout Sessions, refunds, and the handling of Stripe events.

Enabled only when both `STRIPE_SECRET_KEY` and `STRIPE_WEBHOOK_SECRET` are set; otherwise it is
never offered and never called. The platform is the merchant of record (no Stripe Connect).

- `start(order)` creates a Checkout Session from the order as stored (amounts from the database),
  with the order id in `metadata` and `client_reference_id`, `expires_at` equal to the order's
  hold (clamped to Stripe's 30 min .. 24 h window; the hold follows the clamp), and the
  deterministic idempotency key of the payment attempt. The pending `Payment` row (with that key)
  is committed BEFORE Stripe is called, so a retry after a 500 or a timeout sends the very same
  request and Stripe answers with the same session: a buyer can never be charged twice.
- `refund(refund)` asks Stripe with the refund's stored idempotency key. The final state comes
  from webhooks (`handle_event`), which record Stripe's actual amounts.
- `handle_event(event)` applies one verified event inside the caller's transaction. Transitions
  only go forward and are decided from the object's state, so events may arrive in any order.

All HTTP goes through `stripe.StripeClient`; tests plug a fake in with config
`STRIPE_HTTP_CLIENT` (see tests/stripe_fake.py), so nothing reaches the network.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import stripe
from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import market.payments.offline  # noqa: F401 - registers the default provider first
from market import hooks
from market.payments.providers import PaymentProvider, ProviderError, StartResult, register
from models import Order, Payment, Refund, WebhookEvent, db, utcnow

log = logging.getLogger(__name__)

# Stripe accepts a Checkout Session expiry 30 minutes to 24 hours after creation; keep a margin.
MIN_EXPIRY = timedelta(minutes=31)
MAX_EXPIRY = timedelta(hours=24) - timedelta(minutes=1)
METHOD_LABELS = {"card": "card", "alipay": "Alipay", "wechat_pay": "WeChat Pay"}


class Deferred(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The event refers to something not confirmed yet; keep it and replay it later."""

    def __init__(self, message: str, object_ref: str | None):
        super().__init__(message)
        self.object_ref = object_ref


class Ignored(Exception):  # noqa: N818
    """The event cannot apply to anything of ours; store it with a note and answer 200."""


def is_configured(app) -> bool:
    return bool(app.config.get("STRIPE_SECRET_KEY")) and bool(app.config.get("STRIPE_WEBHOOK_SECRET"))


def payment_methods(app) -> list[str]:
    raw = app.config.get("STRIPE_PAYMENT_METHODS") or "card"
    return [m.strip() for m in raw.split(",") if m.strip()]


def client(app=None) -> stripe.StripeClient:
    """The app's StripeClient (one per app; config STRIPE_HTTP_CLIENT replaces the transport)."""
    app = app or current_app._get_current_object()
    cached = app.extensions.get("stripe_client")
    if cached is None:
        http_client = app.config.get("STRIPE_HTTP_CLIENT")
        if http_client is None:
            http_client = stripe.new_default_http_client(timeout=app.config.get("STRIPE_TIMEOUT", 20))
        cached = stripe.StripeClient(
            app.config["STRIPE_SECRET_KEY"],
            http_client=http_client,
            max_network_retries=app.config.get("STRIPE_MAX_NETWORK_RETRIES", 2),
        )
        app.extensions["stripe_client"] = cached
    return cached


def session_key(order_id: int, attempt: int) -> str:
    """The deterministic idempotency key of one Checkout attempt of one order."""
    return f"market-checkout-{order_id}-{attempt}"


def _unreachable() -> ProviderError:
    return ProviderError(_("The online payment service did not answer. Your order is kept and "
                           "nothing was charged; please try again in a minute."))


class StripeProvider(PaymentProvider):
    name = "stripe"

    def is_enabled(self, app) -> bool:
        return is_configured(app)

    def label(self) -> str:
        methods = [METHOD_LABELS.get(m, m) for m in payment_methods(current_app)]
        return _("Pay online now (%(methods)s)", methods=", ".join(methods))

    def hold_for(self, app) -> int:
        # Stripe needs at least 30 minutes; a few more so the session can expire with the hold.
        return max(int(app.config.get("HOLD_MINUTES", 15)), int(MIN_EXPIRY.total_seconds() // 60) + 4)

    # ---- start -----------------------------------------------------------------------------

    def start(self, order: Order) -> StartResult:
        """Send the buyer to a Checkout Session for `order` (creating it, or reusing the open one).

        Commits: the pending Payment (with its idempotency key) before Stripe is called, and the
        session id after. When the order cannot be paid now or Stripe cannot be reached, the
        result has no `redirect_url` and its `instructions` say why (the order stays payable;
        showing the page again retries with the same idempotency key).
        """
        try:
            return self.start_or_raise(order)
        except ProviderError as error:
            return StartResult(instructions=[str(error)], reference=order.reference)

    def start_or_raise(self, order: Order, _retried: bool = False) -> StartResult:
        """Like `start`, but raises ProviderError (translated message)."""
        if not is_configured(current_app):
            raise ProviderError(_("Online payment is not available."))
        if order.status != "pending_payment":
            raise ProviderError(_("This order cannot be paid now."))
        now = utcnow()
        if order.hold_expires_at is not None and order.hold_expires_at <= now:
            raise ProviderError(_("Your reservation has expired. Please book again."))
        api = client()
        payment = db.session.scalar(
            select(Payment)
            .where(Payment.order_id == order.id, Payment.provider == "stripe", Payment.status == "pending")
            .order_by(Payment.attempt.desc())
            .limit(1)
        )
        if payment is not None and payment.provider_ref:
            try:
                session = api.v1.checkout.sessions.retrieve(payment.provider_ref)
            except stripe.StripeError as exc:
                log.warning("stripe: retrieving %s failed: %s", payment.provider_ref, exc)
                raise _unreachable() from exc
            if session.status == "open":
                return StartResult(redirect_url=session.url, reference=order.reference)
            if session.status == "complete":  # paid, the webhook is on its way
                return StartResult(redirect_url=return_url(session.id), reference=order.reference)
            payment.status = "cancelled"  # expired unpaid: a new attempt below
            payment = None
        if payment is not None and not self._expiry_still_valid(order, now):
            # A request that may have reached Stripe must be resent with identical parameters;
            # the old expiry no longer can be, so this attempt is abandoned (never paid: the
            # buyer never saw its page) and a new one gets a new key.
            payment.status = "cancelled"
            payment = None
        if payment is None:
            self._clamp_hold(order, now)
            attempt = (db.session.scalar(
                select(func.max(Payment.attempt)).where(Payment.order_id == order.id)) or 0) + 1
            payment = Payment(
                order_id=order.id, order=order, provider="stripe", attempt=attempt,
                idempotency_key=session_key(order.id, attempt), status="pending",
                amount_fen=order.total_fen, currency=order.currency,
            )
            db.session.add(payment)
        try:
            db.session.flush()
            params = self.session_params(order, payment)
            db.session.commit()  # the key is stored before Stripe is called
        except IntegrityError:  # the same page shown twice at once: the other made the attempt
            db.session.rollback()
            if _retried:
                raise
            return self.start_or_raise(db.session.get(Order, order.id), _retried=True)

        try:
            session = api.v1.checkout.sessions.create(
                params, {"idempotency_key": payment.idempotency_key}
            )
        except stripe.IdempotencyError as exc:
            log.error("stripe: idempotency conflict for %s: %s", payment.idempotency_key, exc)
            payment.status = "cancelled"
            db.session.commit()
            raise _unreachable() from exc
        except stripe.StripeError as exc:
            log.warning("stripe: creating session for order %s failed: %s", order.id, exc)
            raise _unreachable() from exc
        payment.provider_ref = session.id
        db.session.commit()
        return StartResult(redirect_url=session.url, reference=order.reference)

    @staticmethod
    def _expiry_still_valid(order: Order, now: datetime) -> bool:
        hold = order.hold_expires_at
        return hold is not None and now + MIN_EXPIRY <= hold <= now + MAX_EXPIRY

    @staticmethod
    def _clamp_hold(order: Order, now: datetime) -> None:
        """Stripe needs 30 min .. 24 h: the hold is moved into that window (and so matches)."""
        hold = order.hold_expires_at or now + MIN_EXPIRY
        hold = min(max(hold, now + MIN_EXPIRY), now + MAX_EXPIRY).replace(microsecond=0)
        order.hold_expires_at = hold

    @staticmethod
    def session_params(order: Order, payment: Payment) -> dict:
        currency = order.currency.lower()
        line_items = []
        for line in order.lines:
            if line.amount_fen <= 0:
                continue
            per_unit = line.unit_price_fen * line.quantity == line.amount_fen
            name = line.title if per_unit else f"{line.title} × {line.quantity}"
            line_items.append({
                "quantity": line.quantity if per_unit else 1,
                "price_data": {
                    "currency": currency,
                    "unit_amount": line.unit_price_fen if per_unit else line.amount_fen,
                    "product_data": {"name": name[:250]},
                },
            })
        if sum(line.amount_fen for line in order.lines) != order.total_fen or order.total_fen <= 0:
            raise ProviderError(_("This order cannot be paid online. Please contact the home."))
        methods = payment_methods(current_app)
        params = {
            "mode": "payment",
            "line_items": line_items,
            "currency": currency,
            "payment_method_types": methods,
            "client_reference_id": str(order.id),
            "metadata": {"order_id": str(order.id), "order_reference": order.reference,
                         "payment_id": str(payment.id), "attempt": str(payment.attempt)},
            "payment_intent_data": {"metadata": {"order_id": str(order.id),
                                                 "payment_id": str(payment.id)}},
            "expires_at": int(order.hold_expires_at.timestamp()),
            "success_url": return_url("{CHECKOUT_SESSION_ID}"),
            "cancel_url": return_url("{CHECKOUT_SESSION_ID}"),
            "locale": "zh" if (order.locale or "").startswith("zh") else "en",
        }
        if "wechat_pay" in methods:
            params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
        if order.contact_email:
            params["customer_email"] = order.contact_email
        return params

    # ---- refund ----------------------------------------------------------------------------

    def refund(self, refund: Refund) -> None:
        """Ask Stripe to refund; leave it pending (webhooks settle it). Never commits.

        When Stripe cannot be reached the refund stays pending with its stored key and
        `flask payments resend-refunds` sends it again with the same key (never twice).
        """
        payment = refund.payment
        if not payment.provider_charge_ref:
            raise ProviderError(_("This payment cannot be refunded online. Please contact the home."))
        try:
            created = client().v1.refunds.create(
                {
                    "payment_intent": payment.provider_charge_ref,
                    "amount": refund.amount_fen,
                    "reason": "requested_by_customer",
                    "metadata": {"refund_id": str(refund.id), "order_id": str(refund.order_id)},
                },
                {"idempotency_key": refund.idempotency_key},
            )
        except stripe.InvalidRequestError as exc:  # refused for good (e.g. more than is left)
            from market.payments.service import apply_fail_refund

            apply_fail_refund(refund, f"stripe refused: {exc.user_message or exc}"[:500])
            return
        except stripe.StripeError as exc:
            log.warning("stripe: refund %s not sent yet: %s", refund.id, exc)
            refund.failure = f"not sent yet ({type(exc).__name__}); will be resent"
            return
        created = created.to_dict()
        refund.provider_ref = created["id"]
        refund.failure = None
        if created.get("status") in ("failed", "canceled"):
            from market.payments.service import apply_fail_refund

            apply_fail_refund(refund, created.get("failure_reason") or created["status"])


def return_url(session_id: str) -> str:
    return url_for("stripe_webhooks.returned", _external=True) + f"?session_id={session_id}"


# ---- events -----------------------------------------------------------------------------------


def handle_event(event: dict) -> str:
    """Apply one verified Stripe event (a plain dict). Never commits. Returns a short note.

    Raises Deferred when the event waits on a payment not confirmed yet, Ignored when it cannot
    concern us.
    """
    handler = HANDLERS.get(event.get("type", ""))
    if handler is None:
        return "ignored: unhandled type"
    return handler(event["data"]["object"])


def _lock(stmt):
    return db.session.scalar(stmt.with_for_update())


def _payment_for_session(session: dict) -> Payment:
    payment = _lock(select(Payment).where(Payment.provider == "stripe",
                                          Payment.provider_ref == session["id"]))
    if payment is None:
        raw = (session.get("metadata") or {}).get("payment_id", "")
        if raw.isdigit():
            payment = _lock(select(Payment).where(Payment.id == int(raw), Payment.provider == "stripe"))
            if payment is not None and payment.provider_ref not in (None, session["id"]):
                payment = None
    if payment is None:
        raise Ignored(f"no payment for session {session['id']}")
    if payment.provider_ref is None:
        payment.provider_ref = session["id"]
    return payment


def _payment_for_intent(intent_id: str | None) -> Payment | None:
    if not intent_id:
        return None
    return _lock(select(Payment).where(Payment.provider == "stripe",
                                       Payment.provider_charge_ref == intent_id))


def _flag(order: Order, text: str) -> None:
    order.flag = text[:200]


def on_session_completed(session: dict) -> str:
    payment = _payment_for_session(session)
    if session.get("payment_intent") and not payment.provider_charge_ref:
        payment.provider_charge_ref = session["payment_intent"]
    if payment.status in ("succeeded", "needs_review"):
        return "already confirmed"
    if session.get("payment_status") != "paid":
        return "completed, payment pending (asynchronous method)"
    return _confirm(payment, session)


def on_async_failed(session: dict) -> str:
    payment = _payment_for_session(session)
    if payment.status != "pending":
        return f"ignored: payment already {payment.status}"
    payment.status = "failed"
    db.session.flush()
    hooks.payment_failed.send(payment, reason="async payment failed")
    return "payment failed"


def on_session_expired(session: dict) -> str:
    payment = _payment_for_session(session)
    if payment.status != "pending":
        return f"ignored: payment already {payment.status}"
    if session.get("payment_status") == "paid":  # a paid session never expires; trust the state
        return _confirm(payment, session)
    payment.status = "cancelled"
    db.session.flush()
    newer = db.session.scalar(select(func.count(Payment.id)).where(
        Payment.order_id == payment.order_id, Payment.status.in_(("pending", "succeeded", "needs_review")),
        Payment.id != payment.id))
    if not newer:  # another attempt is under way or paid: the order is not released
        hooks.payment_failed.send(payment, reason="checkout session expired")
    return "session expired"


def _confirm(payment: Payment, session: dict) -> str:
    """The buyer has paid `session`: check it against the order, then send payment_confirmed."""
    order = _lock(select(Order).where(Order.id == payment.order_id))
    amount = int(session.get("amount_total") or 0)
    currency = (session.get("currency") or "").upper()
    payment.provider_charge_ref = session.get("payment_intent") or payment.provider_charge_ref
    payment.confirmed_at = utcnow()
    methods = session.get("payment_method_types") or []
    payment.method = methods[0] if len(methods) == 1 else (payment.method or "stripe")
    _fetch_fee(payment)
    if amount != payment.amount_fen or amount != order.total_fen or currency != order.currency:
        payment.status = "needs_review"
        _flag(order, f"Stripe amount mismatch: paid {amount} {currency}, "
                     f"order {order.total_fen} {order.currency} (payment {payment.id})")
        db.session.flush()
        return "amount mismatch: order flagged"
    payment.status = "succeeded"
    db.session.flush()
    hooks.payment_confirmed.send(payment)
    replayed = replay_deferred(payment.provider_charge_ref)
    return "paid" + (f", replayed {replayed}" if replayed else "")


def _fetch_fee(payment: Payment) -> None:
    """Record Stripe's processing fee (and the method really used) when Stripe tells us."""
    if not payment.provider_charge_ref or not current_app.config.get("STRIPE_FETCH_FEES", True):
        return
    try:
        # One try only: this runs inside the webhook's transaction; reconcile can fill it later.
        intent = client().v1.payment_intents.retrieve(
            payment.provider_charge_ref, {"expand": ["latest_charge.balance_transaction"]},
            {"max_network_retries": 0})
    except stripe.StripeError as exc:
        log.info("stripe: no fee for %s yet: %s", payment.provider_charge_ref, exc)
        return
    charge = intent.to_dict().get("latest_charge")
    if not isinstance(charge, dict):
        return
    details = charge.get("payment_method_details") or {}
    if details.get("type"):
        payment.method = details["type"]
    txn = charge.get("balance_transaction")
    if isinstance(txn, dict) and txn.get("fee") is not None:
        if (txn.get("currency") or "").upper() == payment.currency:
            payment.fee_fen = int(txn["fee"])


# ---- refunds and disputes ------------------------------------------------------------------


def on_charge_refunded(charge: dict) -> str:
    refunds = (charge.get("refunds") or {}).get("data")
    if refunds is None:  # not expanded in events since API 2022-11-15: ask Stripe
        payment = _payment_for_intent(charge.get("payment_intent"))
        if payment is None or payment.status != "succeeded":
            raise Deferred("refund before the payment was confirmed", charge.get("payment_intent"))
        try:
            listed = client().v1.refunds.list({"charge": charge["id"], "limit": 100})
        except stripe.StripeError as exc:
            raise RuntimeError(f"cannot list refunds of {charge['id']}: {exc}") from exc
        refunds = [r.to_dict() for r in listed.data]
    notes = [on_refund_object(r) for r in refunds]
    return "; ".join(notes) or "no refunds"


def on_refund_object(obj: dict) -> str:
    payment = _payment_for_intent(obj.get("payment_intent"))
    if payment is None or payment.status not in ("succeeded",):
        if payment is not None and payment.status == "needs_review":
            _flag(payment.order, f"Stripe refund {obj['id']} of a payment under review")
            return "refund of a payment under review: flagged"
        raise Deferred("refund before the payment was confirmed", obj.get("payment_intent"))
    refund = _lock(select(Refund).where(Refund.provider_ref == obj["id"]))
    if refund is None:
        raw = (obj.get("metadata") or {}).get("refund_id", "")
        if raw.isdigit():
            refund = _lock(select(Refund).where(Refund.id == int(raw), Refund.payment_id == payment.id))
            if refund is None:  # our request has not committed yet: Stripe will resend
                raise RuntimeError(f"refund {raw} not visible yet")
    if refund is None:
        refund = _external_refund(payment, obj)
        if refund is None:
            return f"refund {obj['id']} made outside the market: flagged"
    if refund.provider_ref is None:
        refund.provider_ref = obj["id"]
    status = obj.get("status")
    from market.payments.service import apply_fail_refund, apply_settle_refund

    if status == "succeeded":
        if refund.status == "pending":
            apply_settle_refund(refund, int(obj["amount"]))
            return f"refund {refund.id} settled"
        if refund.status == "failed":
            _flag(payment.order, f"Stripe refund {obj['id']} succeeded after it was recorded failed")
        return f"refund {refund.id} already {refund.status}"
    if status in ("failed", "canceled"):
        if refund.status == "pending":
            apply_fail_refund(refund, obj.get("failure_reason") or status)
            return f"refund {refund.id} failed"
        if refund.status == "succeeded":
            _flag(payment.order, f"Stripe refund {obj['id']} failed after it settled")
        return f"refund {refund.id} already {refund.status}"
    return f"refund {refund.id} still {status}"


def _external_refund(payment: Payment, obj: dict) -> Refund | None:
    """A refund made in the Stripe dashboard: a full refund of what is left is recorded (over
    every line's remainder); anything else needs a person to split it, so the order is flagged."""
    from market.payments.service import refundable_by_line

    left = {k: v for k, v in refundable_by_line(payment.order).items() if v > 0}
    amount = int(obj.get("amount") or 0)
    if obj.get("status") != "succeeded" or amount != sum(left.values()) or amount <= 0:
        _flag(payment.order, f"Stripe refund {obj['id']} ({amount}) was made outside the market")
        return None
    refund = Refund(
        payment_id=payment.id, payment=payment, order_id=payment.order_id,
        idempotency_key=f"stripe-external-{obj['id']}", provider_ref=obj["id"], status="pending",
        amount_fen=amount, currency=payment.currency,
        lines_json=json.dumps({str(k): v for k, v in sorted(left.items())}),
        reason="refunded in the Stripe dashboard",
    )
    db.session.add(refund)
    db.session.flush()
    return refund


def on_dispute_created(dispute: dict) -> str:
    intent = dispute.get("payment_intent")
    payment = _payment_for_intent(intent)
    if payment is None:
        raise Deferred("dispute before the payment was confirmed", intent)
    reason = f"Stripe dispute {dispute.get('id')}: {dispute.get('reason') or 'unknown'}"
    _flag(payment.order, reason)
    hooks.payment_disputed.send(payment, reason=reason)
    return "dispute: order flagged"


HANDLERS = {
    "checkout.session.completed": on_session_completed,
    "checkout.session.async_payment_succeeded": on_session_completed,
    "checkout.session.async_payment_failed": on_async_failed,
    "checkout.session.expired": on_session_expired,
    "charge.refunded": on_charge_refunded,
    "refund.created": on_refund_object,
    "refund.updated": on_refund_object,
    "refund.failed": on_refund_object,
    "charge.dispute.created": on_dispute_created,
}


def replay_deferred(object_ref: str | None) -> int:
    """Apply the stored events that were waiting for `object_ref`, oldest first (same transaction)."""
    if not object_ref:
        return 0
    waiting = db.session.scalars(
        select(WebhookEvent)
        .where(WebhookEvent.provider == "stripe", WebhookEvent.object_ref == object_ref,
               WebhookEvent.processed_at.is_(None))
        .order_by(WebhookEvent.id)
        .with_for_update()
    ).all()
    done = 0
    for inbox in waiting:
        try:
            with db.session.begin_nested():
                handle_event(json.loads(inbox.payload))
            inbox.error = None
        except Deferred as exc:
            inbox.error = f"deferred: {exc}"
            continue
        except Ignored as exc:
            inbox.error = f"ignored: {exc}"
        inbox.processed_at = utcnow()
        done += 1
    return done


register(StripeProvider())
