"""Fixtures for the Stripe tests: an app with keys and the fake Stripe client, a tour to sell, and
helpers to start a Checkout Session and deliver webhooks. Import the fixtures into a test module to
use them; orders paid or to be paid by Stripe come from tests/factories.py."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from market.payments import stripe_provider, webhooks
from models import Order, Payment, db, utcnow
from tests.stripe_fake import SECRET_KEY, WEBHOOK_SECRET, FakeStripe, event, signed

WEBHOOK = "/payments/stripe/webhook"


@pytest.fixture
def fake(app):
    """The fake Stripe, for the app. Every test using it also checks that no Stripe call was made
    while the calling database session had a transaction open (row locks, SQLite's write lock)."""
    fake = FakeStripe()
    fake.probe = lambda: db.session().in_transaction()
    app.config.update(STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                      STRIPE_HTTP_CLIENT=fake, STRIPE_PAYMENT_METHODS="card,alipay,wechat_pay")
    app.extensions.pop("stripe_client", None)
    yield fake
    app.extensions.pop("stripe_client", None)
    inside = [f"{r.method} {r.path}" for r in fake.requests if r.in_transaction]
    assert not inside, f"Stripe called inside a database transaction: {inside}"


@pytest.fixture
def tour(make):
    home = make.home()
    listing = make.listing(home, "tour", price_fen=8800)
    return make.session(listing, capacity=3)


def start(order: Order):
    return stripe_provider.StripeProvider().start(order)


def session_of(order: Order) -> Payment:
    return db.session.query(Payment).filter_by(order_id=order.id, provider="stripe").order_by(
        Payment.attempt.desc()).first()


def post_event(client, evt: dict, **sign_kwargs):
    body, headers = signed(evt, **sign_kwargs)
    return client.post(WEBHOOK, data=body, headers=headers)


def deliver(evt: dict) -> tuple[int, str]:
    """Process a signed delivery without HTTP (the same code path as the endpoint); what it queued
    for Stripe runs at its commit (the job queue is immediate in tests)."""
    body, headers = signed(evt)
    return webhooks.receive(body, headers["Stripe-Signature"])


def after_backoff(order: Order) -> None:
    """The back-off after a transient Stripe failure has run out (the buyer comes back later)."""
    db.session.execute(update(Payment).where(Payment.order_id == order.id, Payment.retry_at.is_not(None))
                       .values(retry_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


__all__ = ["fake", "tour", "start", "session_of", "post_event", "deliver", "reload", "event", "json",
           "WEBHOOK", "after_backoff"]
