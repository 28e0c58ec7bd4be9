"""Receiving a Stripe webhook delivery: verify, store once in the inbox, apply, commit.

The signature is verified with `stripe.WebhookSignature` and `STRIPE_WEBHOOK_TOLERANCE` (a
timestamp too old or too far in the future is refused); a bad signature, or a signed body that is
not an event we can read (not a JSON object, no `data.object`, a NUL character), gets 400 and
changes nothing. An event rendered at an API version of another major release than ours
(`stripe_api.API_VERSION`) is stored, not applied, and answered 400: the endpoint is misconfigured.

Each event is stored once in the `webhook_events` inbox (unique provider + event id) and applied
in the SAME transaction as the order and ledger changes it causes; a duplicate delivery does
nothing. An event that fails unexpectedly is rolled back, kept with its error and answered 500,
so Stripe delivers it again and it is retried. No call to Stripe happens inside the request: what
the event makes us ask Stripe (a refund, its fee, a list of refunds) and the replay of events
that waited for it are queued (`market.jobs.outbox`) and run after the response has been sent
(the view hands them on).
"""

from __future__ import annotations

import json
import logging

import stripe
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from market import clock
from market.jobs import outbox
from market.payments import stripe_events
from models import WebhookEvent, db

log = logging.getLogger(__name__)


def verify(payload: bytes, signature: str | None) -> bool:
    """Whether the delivery is signed with our secret at a time within the tolerance, before or
    after now (stripe-python refuses old timestamps only: a future one is refused here too)."""
    tolerance = current_app.config["STRIPE_WEBHOOK_TOLERANCE"]
    try:
        text = payload.decode("utf-8")
        secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
        stripe.WebhookSignature.verify_header(text, signature or "", secret, tolerance=tolerance)
    except (UnicodeDecodeError, stripe.SignatureVerificationError):
        return False
    stamps = [part[2:] for part in (signature or "").split(",") if part.startswith("t=")]
    return bool(stamps) and stamps[0].isdigit() and int(stamps[0]) <= clock.now().timestamp() + tolerance


def parse(payload: bytes) -> dict | None:
    """The event of a verified delivery, or None when it is not one we can store and read: not a
    JSON object, no id or type, no `data.object`, or a NUL character (PostgreSQL text has none)."""
    text = payload.decode("utf-8")
    if "\x00" in text or "\\u0000" in text:
        return None
    try:
        event = json.loads(text)
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    data = event.get("data")
    if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str) \
            or not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        return None
    if not event["id"] or len(event["id"]) > 255 or not isinstance(event.get("api_version"), str | None):
        return None
    return event


def receive(payload: bytes, signature: str | None) -> tuple[int, str]:
    """Verify, store once and apply one delivery. Returns (HTTP status, short note). What the
    event makes us ask Stripe stays queued (`outbox`) for after the response."""
    if not verify(payload, signature):
        return 400, "bad signature"
    event = parse(payload)
    if event is None:
        return 400, "not an event"
    return process(event, payload.decode("utf-8"))


def process(event: dict, text: str) -> tuple[int, str]:
    """Store `event` in the inbox and apply it, in one transaction (commits)."""
    inbox = WebhookEvent(provider="stripe", event_id=event["id"], type=event["type"][:80],
                         payload=text, received_at=clock.now())
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
    if outcome == "refused":  # rendered at another API version: Stripe keeps resending, a person looks
        return 400, inbox.error
    return 200, outcome


def _keep_failure(event: dict, text: str, error: str) -> None:
    try:
        inbox = db.session.scalar(select(WebhookEvent).where(
            WebhookEvent.provider == "stripe", WebhookEvent.event_id == event["id"]))
        if inbox is None:
            inbox = WebhookEvent(provider="stripe", event_id=event["id"], type=event["type"][:80],
                                 payload=text, received_at=clock.now())
            db.session.add(inbox)
        inbox.error = error[:2000]
        db.session.commit()
    except Exception:  # noqa: BLE001 - the 500 already tells Stripe to resend
        db.session.rollback()
        log.exception("could not record the failure of %s", event["id"])
