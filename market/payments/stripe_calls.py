"""Calls to Stripe made after a commit: expiring a Checkout Session, sending a refund with its
stored idempotency key, and fetching a charge's processing fee. Each records Stripe's answer in a
short transaction of its own; none runs inside a caller's transaction."""

from __future__ import annotations

import logging

import stripe
from flask import current_app
from sqlalchemy import select, update

from market.database import lock_one
from market.payments.service import (
    apply_fail_refund,
    lock_order,
    rescale,
)
from market.payments.stripe_api import FAILED, REFUSED, client, describe, error_kind
from models import Payment, Refund, db

log = logging.getLogger(__name__)



def expire_session(session_id: str) -> None:
    """Close an open Checkout Session (its order was cancelled). A session already paid stays
    paid: its webhook finds the order cancelled and the money is refunded."""
    try:
        client().v1.checkout.sessions.expire(session_id)
    except stripe.InvalidRequestError as exc:
        log.info("stripe: session %s not expired: %s", session_id, exc)
    except stripe.StripeError as exc:  # it expires with the hold anyway
        log.warning("stripe: expiring session %s failed: %s", session_id, exc)


def refund_params(refund: Refund, payment: Payment) -> dict:
    """The refund request, from stored values only: a resend is the very same request."""
    params = {
        "payment_intent": payment.provider_charge_ref,
        "amount": refund.amount_fen,
        "metadata": {"refund_id": str(refund.id), "order_id": str(refund.order_id),
                     "initiated_by": refund.initiated_by},
    }
    if refund.initiated_by == "customer":  # Stripe's reasons describe the buyer's request only
        params["reason"] = "requested_by_customer"
    return params


def provider_key(refund: Refund) -> str:
    """The idempotency key Stripe sees for this send of the refund: its stored key, then
    `-<n>` for the n-th send after a 5xx (Stripe replays a stored 5xx to the same key)."""
    key = refund.idempotency_key
    return key if refund.send_attempt <= 1 else f"{key}-{refund.send_attempt}"


def send_refund(refund_id: int, key: str) -> bool:
    """Send a stored pending refund to Stripe, then record the answer. Commits. `key` is the
    refund's stored key (a queued call for another refund, or one already sent, does nothing).
    False when there was nothing to send (already sent, settled, or not this refund)."""
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.idempotency_key != key or refund.status != "pending" or refund.provider_ref:
        db.session.commit()
        return False
    if not refund.payment.provider_charge_ref:
        _refund_answered(refund_id, failure="the payment has no Stripe reference")
        return True
    params = refund_params(refund, refund.payment)
    stripe_key, resend = provider_key(refund), refund.send_attempt > 1
    db.session.commit()
    try:
        created = _already_at_stripe(refund_id, params["payment_intent"]) if resend else None
        if created is None:
            created = client().v1.refunds.create(params, {"idempotency_key": stripe_key}).to_dict()
    except stripe.StripeError as exc:
        kind = error_kind(exc)
        log.warning("stripe: refund %s not sent (%s): %s", refund_id, kind, exc)
        if kind == REFUSED:  # refused for good (e.g. more than is left)
            _refund_answered(refund_id, failure=f"stripe refused: {describe(exc)}"[:500])
        else:
            _refund_answered(refund_id, unsent=f"not sent yet ({kind}: {describe(exc)}); will be resent",
                             new_key=kind == FAILED)
    else:
        _refund_answered(refund_id, created=created)
    return True


def _already_at_stripe(refund_id: int, intent_id: str) -> dict | None:
    """Before a send with a new key: the refund Stripe made for an earlier send whose answer was a
    5xx (it carries our refund id in its metadata), so it is never made twice."""
    for listed in client().v1.refunds.list({"payment_intent": intent_id, "limit": 100}).auto_paging_iter():
        found = listed.to_dict()
        if (found.get("metadata") or {}).get("refund_id") == str(refund_id):
            return found
    return None


def _refund_answered(refund_id: int, *, created: dict | None = None, failure: str | None = None,
                     unsent: str | None = None, new_key: bool = False) -> None:
    order_id = db.session.scalar(select(Refund.order_id).where(Refund.id == refund_id))
    lock_order(order_id)
    refund = lock_one(select(Refund).where(Refund.id == refund_id))
    if created is not None:
        refund.provider_ref = refund.provider_ref or created["id"]
        refund.failure = None
        if created.get("status") in ("failed", "canceled"):
            apply_fail_refund(refund, created.get("failure_reason") or created["status"])
    elif failure is not None:
        apply_fail_refund(refund, failure)
    elif refund.provider_ref is None:
        refund.failure = unsent
        if new_key:
            refund.send_attempt += 1
    db.session.commit()


def charge_details(charge: dict) -> dict:
    """What a charge tells about its payment: the method really used and the processing fee
    in the currency the charge settled in (a CNY charge may settle in HKD or USD)."""
    found = {}
    method = (charge.get("payment_method_details") or {}).get("type")
    if method:
        found["method"] = method
    txn = charge.get("balance_transaction")
    if isinstance(txn, dict) and txn.get("fee") is not None and txn.get("currency"):
        found.update(fee_fen=int(txn["fee"]), fee_currency=txn["currency"].upper())
    return found


def fetch_fee(payment_id: int) -> None:
    """Record Stripe's processing fee (and the method really used) once the payment committed.
    One try only, so the webhook answers quickly; `flask payments reconcile` fills in the rest."""
    if not current_app.config["STRIPE_FETCH_FEES"]:
        return
    intent_id = db.session.scalar(select(Payment.provider_charge_ref).where(Payment.id == payment_id))
    db.session.commit()
    if not intent_id:
        return
    try:
        intent = client().v1.payment_intents.retrieve(
            intent_id, {"expand": ["latest_charge.balance_transaction"]}, {"max_network_retries": 0})
    except stripe.StripeError as exc:
        log.info("stripe: no fee for %s yet: %s", intent_id, exc)
        return
    charge = intent.to_dict().get("latest_charge")
    if isinstance(charge, dict) and (found := charge_details(charge)):
        record_details(intent_id, found)
    db.session.commit()


def fee_shares(intent_id: str, fee_fen: int) -> dict[int, int]:
    """Stripe's fee for one charge over the payments it paid ({payment id: fen}): one payment
    takes it all; the payments of a whole cart (`stripe_group`) share it in proportion to their
    amounts (largest remainder), so the fees recorded add up to Stripe's."""
    rows = db.session.execute(select(Payment.id, Payment.amount_fen).where(
        Payment.provider == "stripe", Payment.provider_charge_ref == intent_id)).all()
    if len(rows) == 1:
        return {rows[0].id: fee_fen}
    return {int(k): v for k, v in rescale({str(r.id): r.amount_fen for r in rows}, fee_fen).items()}


def record_details(intent_id: str, found: dict) -> int:
    """Record what `charge_details` found on every payment of the charge still lacking a fee.
    Returns how many payments were filled in."""
    filled = 0
    shares = fee_shares(intent_id, found["fee_fen"]) if "fee_fen" in found else {}
    ids = db.session.scalars(select(Payment.id).where(
        Payment.provider == "stripe", Payment.provider_charge_ref == intent_id,
        Payment.fee_fen.is_(None))).all()
    for payment_id in ids:
        values = dict(found)
        if payment_id in shares:
            values["fee_fen"] = shares[payment_id]
        filled += db.session.execute(update(Payment).where(Payment.id == payment_id).values(
            **values)).rowcount
    return filled
