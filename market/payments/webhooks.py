"""Receiving a Stripe webhook delivery: verify, store once in the inbox, apply, commit.

The signature is verified with `stripe.Webhook.construct_event` and `STRIPE_WEBHOOK_TOLERANCE`;
a bad or stale signature changes nothing. Each event is stored once in the `webhook_events`
inbox (unique provider + event id) and applied in the SAME transaction as the order and ledger
changes it causes; a duplicate delivery does nothing. An event that fails unexpectedly is rolled
back, kept with its error and answered 500, so Stripe delivers it again and it is retried. What
the event makes us ask Stripe (a refund, its fee, a list of refunds) and the replay of events
that waited for it run after the commit.
"""

from __future__ import annotations

import json
import logging

import stripe
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from market import clock
from market.payments import outbox, stripe_events
from models import WebhookEvent, db

log = logging.getLogger(__name__)


def verify(payload: bytes, signature: str | None):
    """The verified event, or None for a bad, missing or stale signature or a malformed body."""
    try:
        return stripe.Webhook.construct_event(
            payload, signature, current_app.config["STRIPE_WEBHOOK_SECRET"],
            tolerance=current_app.config["STRIPE_WEBHOOK_TOLERANCE"],
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
    outbox.run()
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
