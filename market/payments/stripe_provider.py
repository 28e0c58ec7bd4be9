"""The `stripe` provider: Stripe Checkout Sessions, and refunds queued for after the commit.

Enabled only when both `STRIPE_SECRET_KEY` and `STRIPE_WEBHOOK_SECRET` are set; otherwise it is
never offered and never called. The platform is the merchant of record (no Stripe Connect).

No Stripe call runs inside a database transaction: each use case reads what it needs and commits
(or queues the call with `market.jobs.outbox` for after its commit), talks to Stripe, then
records the answer in a short transaction of its own.

- `start(order)` creates a Checkout Session from the order as stored (amounts from the database),
  with the order id in `metadata` and `client_reference_id`, `expires_at` equal to the order's
  hold (moved into Stripe's 30 min .. 24 h window, but never more than MIN_EXPIRY past the hold
  the order was given), and the deterministic idempotency key of the payment attempt. The pending
  `Payment` row (with that key) is committed BEFORE Stripe is called, so a retry after a timeout
  sends the very same request and Stripe answers with the same session; after Stripe's 5xx
  (stored and replayed for that key) the attempt ends and the next one has a new key. The checks
  of `stripe_amounts` run first; an order they (or Stripe) refuse is never sent again.
- `confirm(order, payment=…, session=…)`: a webhook says the session is paid. Money that does
  not match the order (amount or currency) is recorded as charged and given back in full.
- `refund(refund)` queues the request; `stripe_calls.send_refund` sends it after the commit with
  the refund's stored idempotency key. The final state comes from webhooks (`market.payments.stripe_events`).
- `abandon(payment)`: the order was cancelled, so its open Checkout Session is expired.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import stripe
from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from market import clock, hooks
from market.jobs import outbox
from market.money import format_money
from market.payments.providers import NotAvailable, PaymentProvider, ProviderError, StartResult
from market.payments.service import (
    apply_abandon_attempts,
    apply_flag,
    apply_refund_mismatch,
    lock_order,
    move_payment,
)
from market.payments.stripe_amounts import refusal
from market.payments.stripe_api import (
    METHOD_LABELS,
    REFUSED,
    Refused,
    checkout_options,
    client,
    describe,
    error_kind,
    is_configured,
    not_available,
    order_line_items,
    payment_methods,
    session_key,
    unreachable,
)
from market.payments.stripe_calls import expire_session, fetch_fee, send_refund
from market.payments.stripe_group import members as group_members
from market.payments.stripe_group import record_failure as _record_failure
from market.payments.stripe_group import record_session as _record_session
from market.payments.stripe_group import refuse as _refuse
from market.payments.stripe_group import start as start_group
from models import Listing, Order, Payment, Refund, db
from models.payments import PaymentStatus

log = logging.getLogger(__name__)

# Stripe accepts a Checkout Session expiry 30 minutes to 24 hours after creation; keep a margin.
MIN_EXPIRY = timedelta(minutes=31)
MAX_EXPIRY = timedelta(hours=24) - timedelta(minutes=1)


class _Again(Exception):  # noqa: N818 - control flow: another request made the attempt meanwhile
    pass


class StripeProvider(PaymentProvider):
    name = "stripe"

    def is_enabled(self, app) -> bool:
        return is_configured(app)

    def label(self) -> str:
        methods = [METHOD_LABELS.get(m, m) for m in payment_methods(current_app)]
        return _("Pay online now (%(methods)s)", methods=", ".join(methods))

    def hold_for(self, app) -> int:
        # Stripe needs at least 30 minutes; a few more so the session can expire with the hold.
        return max(int(app.config["HOLD_MINUTES"]), int(MIN_EXPIRY.total_seconds() // 60) + 4)

    # ---- start -----------------------------------------------------------------------------

    def start(self, order: Order) -> StartResult:
        """Send the buyer to a Checkout Session for `order` (creating it, or reusing the open one).

        Commits. When the order cannot be paid now or Stripe cannot be reached, the result has no
        `redirect_url` and its `instructions` say why: refused for good (`pay_offline`: Stripe is
        never asked again for this order), or for now (the order stays payable; showing the page
        again after a back-off retries, with a new key after Stripe's 5xx).
        """
        try:
            return self.start_or_raise(order)
        except ProviderError as error:
            return StartResult(instructions=[str(error)], reference=order.reference,
                               pay_offline=isinstance(error, NotAvailable))

    def peek(self, order: Order) -> StartResult:
        """The order page's view, read only (no call to Stripe, nothing written): a refusal or a
        back-off still running is told; otherwise the buyer gets a button that starts paying."""
        try:
            if not is_configured(current_app):
                raise ProviderError(_("Online payment is not available."))
            self._payable(order.id)
        except ProviderError as error:
            return StartResult(instructions=[str(error)], reference=order.reference,
                               pay_offline=isinstance(error, NotAvailable))
        return StartResult(reference=order.reference, can_start=True, instructions=together(order))

    def start_or_raise(self, order: Order) -> StartResult:
        """Like `start`, but raises ProviderError (translated message)."""
        if not is_configured(current_app):
            raise ProviderError(_("Online payment is not available."))
        order_id, reference = order.id, order.reference
        together = group_members(order)
        if len(together) > 1:  # one payment for the orders of the whole cart
            return start_group(self, together, reference)
        for _try in range(3):
            open_session = self._payable(order_id)
            db.session.commit()  # nothing is held while Stripe answers
            if open_session is not None:
                reused = self._reuse(open_session, reference)
                if reused is not None:
                    return reused
            try:
                key, params = self._prepare_attempt(order_id)
            except _Again:
                continue
            session = self._create(key, params)
            if not _record_session(key, session.id):  # cancelled while Stripe answered
                expire_session(session.id)
                raise ProviderError(_("This order cannot be paid now."))
            return StartResult(redirect_url=session.url, reference=reference)
        raise unreachable()

    @staticmethod
    def _payable(order_id: int) -> str | None:
        """The open session of the latest attempt, if any; ProviderError if not payable now:
        the order has ended, Stripe refused it for good, or a transient failure's back-off runs."""
        order = db.session.get(Order, order_id, populate_existing=True)
        if order.status != "pending_payment":
            raise ProviderError(_("This order cannot be paid now."))
        now = clock.now()
        if order.hold_expires_at is not None and order.hold_expires_at <= now:
            raise ProviderError(_("Your reservation has expired. Please book again."))
        latest = db.session.execute(
            select(Payment.status, Payment.provider_ref, Payment.failure)
            .where(Payment.order_id == order_id, Payment.provider == "stripe")
            .order_by(Payment.attempt.desc()).limit(1)).first()
        if latest is not None and (latest.failure or "").startswith(REFUSED):
            raise not_available()  # never asked again: an admin was told once
        wait = db.session.scalar(select(func.max(Payment.retry_at)).where(Payment.order_id == order_id))
        if wait is not None and wait > now:
            raise unreachable()
        if latest is not None and latest.status == "pending" and latest.provider_ref:
            return latest.provider_ref
        return None

    @staticmethod
    def _reuse(session_id: str, reference: str) -> StartResult | None:
        try:
            session = client().v1.checkout.sessions.retrieve(session_id)
        except stripe.StripeError as exc:
            log.warning("stripe: retrieving %s failed: %s", session_id, exc)
            raise unreachable() from exc
        if session.status == "open":
            return StartResult(redirect_url=session.url, reference=reference)
        if session.status == "complete":  # paid, the webhook is on its way
            return StartResult(redirect_url=return_url(session.id), reference=reference)
        # Expired unpaid: a new attempt follows (its own expired event will find it cancelled).
        db.session.execute(update(Payment).where(
            Payment.provider_ref == session_id, Payment.status == "pending").values(status="cancelled"))
        db.session.commit()
        return None

    def _prepare_attempt(self, order_id: int) -> tuple[str, dict]:
        """Reuse the unanswered attempt or store a new one (key before call). Commits."""
        try:
            order = lock_order(order_id)
            now = clock.now()
            if order.status != "pending_payment":
                raise ProviderError(_("This order cannot be paid now."))
            payment = db.session.scalar(
                select(Payment).where(Payment.order_id == order_id, Payment.provider == "stripe",
                                      Payment.status == "pending")
                .order_by(Payment.attempt.desc()).limit(1))
            if payment is not None and payment.provider_ref:
                raise _Again  # another request created a session meanwhile
            if payment is not None and not self._expiry_still_valid(order, now):
                # A request that may have reached Stripe must be resent with identical parameters;
                # the old expiry no longer can be, so this attempt is abandoned (never paid: the
                # buyer never saw its page) and a new one gets a new key.
                move_payment(payment, PaymentStatus.CANCELLED)
                payment = None
            if payment is None:
                self._move_hold(order, now)
                attempt = (db.session.scalar(
                    select(func.max(Payment.attempt)).where(Payment.order_id == order_id)) or 0) + 1
                payment = Payment(
                    order_id=order_id, order=order, provider="stripe", attempt=attempt,
                    idempotency_key=session_key(order_id, attempt), status="pending",
                    amount_fen=order.total_fen, currency=order.currency,
                )
                db.session.add(payment)
            db.session.flush()
            key = payment.idempotency_key
            try:
                params = self.session_params(order, payment)
            except Refused as refused:  # Stripe would refuse it: it is never sent
                _refuse(order, payment, f"checked before calling Stripe: {refused}")
                db.session.commit()
                raise not_available() from None
            db.session.commit()  # the key is stored before Stripe is called
        except IntegrityError:  # the same page shown twice at once: the other made the attempt
            db.session.rollback()
            raise _Again from None
        except ProviderError:
            db.session.rollback()
            raise
        return key, params

    @staticmethod
    def _create(key: str, params: dict):
        """Create the session; on an error record how it failed (see `error_kind`) and raise what
        the buyer reads."""
        try:
            return client().v1.checkout.sessions.create(params, {"idempotency_key": key})
        except stripe.StripeError as exc:
            kind = error_kind(exc)
            log.log(logging.ERROR if kind == REFUSED else logging.WARNING,
                    "stripe: creating session %s failed (%s): %s", key, kind, exc)
            _record_failure(key, kind, describe(exc))
            raise (not_available() if kind == REFUSED else unreachable()) from exc

    @staticmethod
    def _expiry_still_valid(order: Order, now: datetime) -> bool:
        hold = order.hold_expires_at
        return hold is not None and now + MIN_EXPIRY <= hold <= now + MAX_EXPIRY

    def _move_hold(self, order: Order, now: datetime) -> None:
        """Stripe needs 30 min .. 24 h: the hold is moved into that window (and so matches), but
        never later than MIN_EXPIRY past the hold the order got at checkout, however often an
        attempt fails: a buyer (or an outage) cannot keep the places for ever."""
        hold = order.hold_expires_at or now + MIN_EXPIRY
        moved = min(max(hold, now + MIN_EXPIRY), now + MAX_EXPIRY).replace(microsecond=0)
        cap = order.created_at + timedelta(minutes=self.hold_for(current_app)) + MIN_EXPIRY
        if moved > hold and moved > cap:
            raise ProviderError(_("Your reservation ends too soon to pay online. Please book again, "
                                  "or pay the home directly."))
        order.hold_expires_at = moved

    @staticmethod
    def session_params(order: Order, payment: Payment) -> dict:
        lines = order_line_items(order)
        currencies = set(db.session.scalars(select(Listing.currency).where(
            Listing.id.in_([line.listing_id for line in order.lines]))))
        why = refusal(order.currency, current_app.config["CURRENCY"], order.total_fen, lines, currencies)
        if why is not None:
            raise Refused(why)
        params = checkout_options(current_app, order.currency, lines)
        params.update({
            "client_reference_id": str(order.id),
            "metadata": {"order_id": str(order.id), "order_reference": order.reference,
                         "payment_id": str(payment.id), "attempt": str(payment.attempt)},
            "payment_intent_data": {"metadata": {"order_id": str(order.id),
                                                 "payment_id": str(payment.id)}},
            "expires_at": int(order.hold_expires_at.timestamp()),
            "success_url": return_url("{CHECKOUT_SESSION_ID}"),
            "cancel_url": cancel_url(payment.id),
            "locale": "zh" if (order.locale or "").startswith("zh") else "en",
        })
        if order.contact_email:
            params["customer_email"] = order.contact_email
        return params

    # ---- confirm, refund, abandon (inside the caller's transaction) --------------------------

    def confirm(self, order: Order, *, payment: Payment, session: dict, mismatch: bool = False,
                **_details) -> Payment:
        """Stripe says `session` is paid: check it against the order, then `payment_confirmed`.

        The caller holds the order's and the payment's locks. An amount or currency other than
        the order's (or, with `mismatch`, a group whose total did not match) is recorded as Stripe
        charged it (`needs_review`) and flags the order."""
        amount = int(session.get("amount_total") or 0)
        currency = (session.get("currency") or "").upper()
        payment.provider_charge_ref = session.get("payment_intent") or payment.provider_charge_ref
        payment.confirmed_at = clock.now()
        methods = session.get("payment_method_types") or []
        payment.method = methods[0] if len(methods) == 1 else (payment.method or "stripe")
        outbox.later(fetch_fee, payment.id, key=f"stripe-fee:{payment.id}")
        wrong = amount != payment.amount_fen or amount != order.total_fen or currency != order.currency
        if mismatch or wrong:
            payment.amount_fen, payment.currency = amount, currency or payment.currency
            move_payment(payment, PaymentStatus.NEEDS_REVIEW)
            apply_flag(order, f"Stripe amount mismatch: paid {amount} {currency}, "
                              f"order {order.total_fen} {order.currency} (payment {payment.id}); refunding")
            db.session.flush()
            apply_refund_mismatch(order, payment)  # never kept: given back in full, as charged
            return payment
        move_payment(payment, PaymentStatus.SUCCEEDED)
        db.session.flush()
        apply_abandon_attempts(order, keep=payment)  # another open session can no longer be paid
        hooks.payment_confirmed.send(payment)
        return payment

    def refund(self, refund: Refund) -> None:
        """Queue the request for after the commit (`send_refund`); webhooks settle it."""
        outbox.later(send_refund, refund.id, refund.idempotency_key,
                     key=f"stripe-refund:{refund.id}:{refund.idempotency_key}")

    def abandon(self, payment: Payment) -> None:
        """Close the attempt's session, unless it pays other orders of the cart still waiting
        (closing it would end their holds; `stripe_group` starts anew without this order)."""
        if payment.group_key and db.session.scalar(select(Payment.id).where(
                Payment.group_key == payment.group_key, Payment.id != payment.id,
                Payment.status == PaymentStatus.PENDING).limit(1)) is not None:
            return
        if payment.provider_ref:
            self.abandon_session(payment.provider_ref)

    @staticmethod
    def abandon_session(session_id: str) -> None:
        outbox.later(expire_session, session_id, key=f"stripe-expire:{session_id}")

    @staticmethod
    def return_url(session_id: str) -> str:
        return return_url(session_id)

    @staticmethod
    def cancel_url(payment_id: int) -> str:
        return cancel_url(payment_id)


PROVIDER = StripeProvider()


def together(order: Order) -> list[str]:
    """What the order page says when one payment covers the orders of the whole cart."""
    ids = group_members(order)
    if len(ids) < 2:
        return []
    orders = db.session.scalars(select(Order).where(Order.id.in_(ids)).order_by(Order.id)).all()
    return [_("One payment covers your %(num)d orders from this cart (%(references)s): %(amount)s in all. "
              "Each home still gets its own order.", num=len(orders),
              references=", ".join(o.reference for o in orders),
              amount=format_money(sum(o.total_fen for o in orders), order.currency))]


def return_url(session_id: str) -> str:
    return url_for("stripe_webhooks.returned", _external=True) + f"?session_id={session_id}"


def _cancel_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="stripe-checkout-cancelled")


def cancel_url(payment_id: int) -> str:
    """Where Stripe sends a buyer who leaves the Checkout page: deterministic (the same request
    is resent on a retry) and signed, so nobody reads another buyer's order by guessing ids."""
    return url_for("stripe_webhooks.cancelled", p=_cancel_signer().dumps(payment_id), _external=True)


def cancelled_payment_id(token: str) -> int | None:
    try:
        value = _cancel_signer().loads(token)
    except Exception:  # noqa: BLE001 - any bad token is simply not ours
        return None
    return value if isinstance(value, int) else None


