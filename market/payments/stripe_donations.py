"""Donations paid online through Stripe Checkout (the offline way stays the default).

`start(donation)` sends the donor to a Checkout Session for the pledged amount, created with the
deterministic idempotency key `market-donation-<id>` (`-<n>` for the n-th try after Stripe's 5xx)
and the donation id in `metadata`; nothing is held, so the session keeps Stripe's default expiry
(24 hours). A pledge Stripe refuses for good (or that the checks before calling it refuse) becomes
an offline pledge: the donor is asked to give to the home directly. The webhook's paid session
sends `hooks.donation_paid` (the fund records it, idempotently: 100% of what Stripe received goes
to the home's care fund); a session that expires or fails unpaid sends `hooks.donation_unpaid`. Refunds and
disputes of a donation are left to a person (the event is listed for admins).
"""

from __future__ import annotations

import logging

import stripe
from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select, update

from market import hooks
from market.database import lock_one
from market.payments.providers import ProviderError, StartResult
from market.payments.stripe_amounts import refusal
from market.payments.stripe_api import (
    FAILED,
    REFUSED,
    Ignored,
    checkout_options,
    client,
    describe,
    error_kind,
    is_configured,
    unreachable,
)
from models import db
from models.fund import Donation

log = logging.getLogger(__name__)


def donation_key(donation_id: int, attempt: int = 1) -> str:
    return f"market-donation-{donation_id}" + (f"-{attempt}" if attempt > 1 else "")


def start(donation: Donation) -> StartResult:
    """Send the donor to the Checkout Session of `donation` (created once). Commits. When Stripe
    cannot be reached the result has no `redirect_url` and says why; the pledge stays payable."""
    try:
        return _start(donation)
    except ProviderError as error:
        return StartResult(instructions=[str(error)], reference=donation.reference)


def _start(donation: Donation) -> StartResult:
    if not is_configured(current_app):
        raise ProviderError(_("Online payment is not available."))
    if donation.status != "pending" or donation.provider != "stripe":
        raise ProviderError(_("This donation cannot be paid online now."))
    donation_id, reference, session_id = donation.id, donation.reference, donation.provider_ref
    key = donation_key(donation_id, donation.checkout_attempt)
    why = refusal(donation.currency, current_app.config["CURRENCY"], donation.amount_fen,
                  [("", 1, donation.amount_fen)], {donation.currency})
    params = _params(donation)
    db.session.commit()  # nothing is held while Stripe answers
    if why is not None:
        _refused(donation_id, f"checked before calling Stripe: {why}")
    api = client()
    try:
        if session_id:
            session = api.v1.checkout.sessions.retrieve(session_id)
        else:
            session = api.v1.checkout.sessions.create(params, {"idempotency_key": key})
    except stripe.StripeError as exc:
        kind = error_kind(exc)
        log.warning("stripe: donation %s checkout failed (%s): %s", reference, kind, exc)
        if kind == REFUSED and not session_id:
            _refused(donation_id, describe(exc))
        if kind == FAILED and not session_id:  # Stripe replays a 5xx to its key: the next try gets a new one
            db.session.execute(update(Donation).where(
                Donation.id == donation_id, Donation.provider_ref.is_(None), Donation.status == "pending")
                .values(checkout_attempt=Donation.checkout_attempt + 1))
            db.session.commit()
        raise unreachable() from exc
    if session.status == "complete":
        return StartResult(redirect_url=params["success_url"], reference=reference)
    if session.status != "open":
        raise ProviderError(_("This payment page has expired. Please make a new donation."))
    db.session.execute(update(Donation).where(
        Donation.id == donation_id, Donation.provider_ref.is_(None)).values(provider_ref=session.id))
    db.session.commit()
    return StartResult(redirect_url=session.url, reference=reference)


def _refused(donation_id: int, why: str) -> None:
    """Stripe will not take this pledge: it becomes an offline pledge (given to the home directly)."""
    log.error("stripe: donation %s cannot be paid online: %s", donation_id, why)
    db.session.execute(update(Donation).where(
        Donation.id == donation_id, Donation.provider_ref.is_(None), Donation.status == "pending")
        .values(provider="offline"))
    db.session.commit()
    raise ProviderError(_("Online payment is not available for this donation. Please give to the home "
                          "directly, or contact the home."))


def _params(donation: Donation) -> dict:
    home = donation.home
    params = checkout_options(current_app, donation.currency, [
        (f"Care fund donation · {home.name_zh}", 1, donation.amount_fen)])
    metadata = {"donation_id": str(donation.id), "donation_reference": donation.reference,
                "home_id": str(home.id)}
    params.update({
        "client_reference_id": f"donation-{donation.id}",
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": url_for("fund.donation", reference=donation.reference, paying=1, _external=True),
        "cancel_url": url_for("fund.donation", reference=donation.reference, cancelled=1,
                              _external=True),
    })
    return params


# ---- events (inside the webhook's transaction) ------------------------------------------------


def is_donation(session: dict) -> bool:
    return "donation_id" in (session.get("metadata") or {})


def _donation(session: dict) -> Donation:
    raw = session["metadata"]["donation_id"]
    donation = lock_one(select(Donation).where(Donation.id == int(raw))) if raw.isdigit() else None
    known = (None, session["id"], session.get("payment_intent"))
    if donation is None or donation.provider != "stripe" or donation.provider_ref not in known:
        raise Ignored(f"no donation for session {session['id']}")
    return donation


def on_completed(session: dict) -> str:
    """Paid: 100% of what Stripe received goes to the care fund (once)."""
    donation = _donation(session)
    if donation.status == "received":
        return f"donation {donation.reference} already received"
    if session.get("payment_status") != "paid":
        return "donation completed, payment pending (asynchronous method)"
    amount, currency = int(session.get("amount_total") or 0), (session.get("currency") or "").upper()
    if currency != donation.currency or amount <= 0:
        raise Ignored(f"donation {donation.reference} paid {amount} {currency}, pledged in "
                      f"{donation.currency}: needs a person")
    try:
        with db.session.begin_nested():
            hooks.donation_paid.send(donation.id, amount_fen=amount, provider="stripe",
                                     provider_ref=session.get("payment_intent"))
    except hooks.Refused as error:  # e.g. cancelled by staff meanwhile: the money came anyway
        raise Ignored(f"donation {donation.reference} paid at Stripe but not recorded ({error}): "
                      "needs a person") from None
    return f"donation {donation.reference} received"


def on_unpaid(session: dict, reason: str) -> str:
    """The session expired or its asynchronous payment failed: the pledge is cancelled."""
    donation = _donation(session)
    if donation.status != "pending":
        return f"ignored: donation already {donation.status}"
    hooks.donation_unpaid.send(donation.id)
    return f"donation {donation.reference}: {reason}, cancelled"


def refuse_if_donation(intent_id: str | None, what: str) -> None:
    """A refund or dispute of a donation's payment is for a person to handle (Ignored)."""
    if not intent_id:
        return
    reference = db.session.scalar(select(Donation.reference).where(
        Donation.provider == "stripe", Donation.provider_ref == intent_id))
    if reference is not None:
        raise Ignored(f"{what} of donation {reference} ({intent_id}): needs a person")
