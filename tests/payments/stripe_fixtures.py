"""Fixtures for the Stripe tests: an app with keys and the fake Stripe client, and orders
placed through the real checkout. Import the fixtures into a test module to use them."""

import json

import pytest

from market.orders import service as orders
from market.payments import stripe_provider, webhooks
from models import Order, Payment, db
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


def place(tour_session, seats: int = 2, owner: str | None = None, email: str | None = "buyer@example.com"):
    """A pending Stripe order for `seats` seats of `tour_session`, through the real checkout."""
    owner = owner or f"s:{orders.new_checkout_token()}"
    orders.add_to_cart(owner, tour_session.listing_id, quantity=str(seats), session_id=str(tour_session.id))
    db.session.commit()
    review = orders.review_cart(owner)
    contact = orders.Contact(name="Ann Buyer", phone="13800138000", email=email)
    placed = orders.checkout(owner, contact, orders.new_checkout_token(), review.total_fen,
                             provider_name="stripe", locale="en")
    return placed[0]


def start(order: Order):
    return stripe_provider.StripeProvider().start(order)


def session_of(order: Order) -> Payment:
    return db.session.query(Payment).filter_by(order_id=order.id, provider="stripe").order_by(
        Payment.attempt.desc()).first()


def post_event(client, evt: dict, **sign_kwargs):
    body, headers = signed(evt, **sign_kwargs)
    return client.post(WEBHOOK, data=body, headers=headers)


def deliver(evt: dict) -> tuple[int, str]:
    """Process a signed delivery without HTTP (the same code path as the endpoint)."""
    body, headers = signed(evt)
    return webhooks.receive(body, headers["Stripe-Signature"])


def paid_order(client, fake, tour_session, seats: int = 2) -> Order:
    order = place(tour_session, seats)
    result = start(order)
    assert result.redirect_url, result.instructions
    payment = session_of(order)
    response = post_event(client, event("checkout.session.completed", fake.pay(payment.provider_ref)))
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "paid"
    return db.session.get(Order, order.id)


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


__all__ = ["fake", "tour", "place", "start", "session_of", "post_event", "deliver", "paid_order",
           "reload", "event", "json", "WEBHOOK"]
