# ruff: noqa: F405
"""Stripe checkout: enabled only with keys; the session is built from the order as stored; a
Stripe 500 or timeout leaves the order payable and a retry reuses the idempotency key."""

from datetime import timedelta

import pytest

from market.payments.providers import enabled_providers
from market.payments.stripe_api import API_VERSION
from models import Order, Payment, db, utcnow
from tests.conftest import post_form
from tests.factories import stripe_order
from tests.payments.stripe_fixtures import *  # noqa: F403 - fixtures fake, tour and helpers
from tests.stripe_fake import SECRET_KEY

pytestmark = pytest.mark.usefixtures("english")  # these tests check English wording


def test_without_keys_stripe_never_appears(app, client, make):
    assert enabled_providers(app) == ["offline"]
    assert client.post(WEBHOOK, data=b"{}").status_code == 404
    assert client.get("/payments/stripe/return?session_id=cs_test_1").status_code == 404
    page = _checkout_page(client, make)
    assert "Pay the home directly" in page
    assert "stripe" not in page.lower() and "Pay online" not in page
    app.config.update(STRIPE_SECRET_KEY=SECRET_KEY)  # one key alone is not enough
    assert enabled_providers(app) == ["offline"]
    assert client.post(WEBHOOK, data=b"{}").status_code == 404


def _checkout_page(client, make) -> str:
    from market.orders import cart as carts

    listing = make.listing(make.home(), "tour", price_fen=8800)
    tour_session = make.session(listing)
    with client.session_transaction() as session:
        session["cart_key"] = "stripe-test-cart"
    carts.add_to_cart("s:stripe-test-cart", listing.id, quantity="1", session_id=str(tour_session.id))
    db.session.commit()
    return client.get("/checkout").get_data(as_text=True)


def test_with_keys_stripe_is_offered(app, fake, client, make):
    assert enabled_providers(app) == ["offline", "stripe"]
    assert "Pay online now (card, Alipay, WeChat Pay)" in _checkout_page(client, make)


def test_session_is_built_from_the_order_as_stored(app, fake, tour):
    order = stripe_order(tour, seats=2)
    result = start(order)
    assert result.redirect_url.startswith("https://checkout.stripe.com/")
    [request] = fake.requests_to("POST", "/v1/checkout/sessions")
    p = request.params
    payment = session_of(order)
    assert request.idempotency_key == f"market-checkout-{order.id}-1" == payment.idempotency_key
    assert p["line_items[0][price_data][unit_amount]"] == "8800"
    assert p["line_items[0][quantity]"] == "2"
    assert p["line_items[0][price_data][currency]"] == "cny" == p["currency"]
    assert p["metadata[order_id]"] == str(order.id) == p["client_reference_id"]
    assert p["metadata[payment_id]"] == str(payment.id)
    assert request.headers["Stripe-Version"] == API_VERSION
    assert not any(k.startswith("payment_method_types") for k in p)  # refused since endive
    assert p["allowed_payment_method_types[0]"] == "card"
    assert p["allowed_payment_method_types[1]"] == "alipay"
    assert p["allowed_payment_method_types[2]"] == "wechat_pay"
    assert p["payment_method_options[wechat_pay][client]"] == "web"
    assert p["customer_email"] == "buyer@example.com"
    assert int(p["expires_at"]) == int(reload(order).hold_expires_at.timestamp())
    assert int(p["expires_at"]) >= utcnow().timestamp() + 30 * 60
    assert "{CHECKOUT_SESSION_ID}" in p["success_url"]
    assert fake.sessions[payment.provider_ref]["amount_total"] == order.total_fen == 17600
    assert payment.status == "pending" and payment.amount_fen == 17600 and payment.currency == "CNY"


def test_amounts_come_from_the_database_not_the_cart(app, fake, tour):
    order = stripe_order(tour, seats=1)
    order.lines[0].unit_price_fen = order.lines[0].amount_fen = 600  # a stale or tampered form cannot
    order.total_fen = 600                                           # matter: the stored order is sent
    db.session.commit()
    start(order)
    [request] = fake.requests_to("POST", "/v1/checkout/sessions")
    assert request.params["line_items[0][price_data][unit_amount]"] == "600"


def test_showing_the_page_again_reuses_the_open_session(app, fake, tour):
    order = stripe_order(tour)
    first = start(order)
    second = start(reload(order))
    assert first.redirect_url == second.redirect_url
    assert len(fake.requests_to("POST", "/v1/checkout/sessions")) == 1
    assert db.session.query(Payment).filter_by(order_id=order.id).count() == 1


def test_expires_at_is_clamped_into_stripes_window_and_the_hold_follows(app, fake, tour):
    order = stripe_order(tour)
    order.hold_expires_at = utcnow() + timedelta(minutes=5)
    db.session.commit()
    start(order)
    [request] = fake.requests_to("POST", "/v1/checkout/sessions")
    hold = reload(order).hold_expires_at
    assert int(request.params["expires_at"]) == int(hold.timestamp())
    assert hold >= utcnow() + timedelta(minutes=30)
    other = stripe_order(tour, seats=1)
    other.hold_expires_at = utcnow() + timedelta(hours=48)
    db.session.commit()
    start(other)
    request = fake.requests_to("POST", "/v1/checkout/sessions")[-1]
    assert int(request.params["expires_at"]) <= utcnow().timestamp() + 24 * 3600
    assert int(request.params["expires_at"]) == int(reload(other).hold_expires_at.timestamp())


def test_stripe_500_shows_a_message_and_the_next_try_uses_a_new_key(app, fake, tour):
    order = stripe_order(tour)
    fake.fail_next("/v1/checkout/sessions", "500")
    result = start(order)
    assert result.redirect_url is None
    assert "did not answer" in result.instructions[0]
    order = reload(order)
    assert order.status == "pending_payment"
    first = f"market-checkout-{order.id}-1"
    assert [r.idempotency_key for r in fake.requests_to("POST", "/v1/checkout/sessions")] == [first]
    again = start(order)  # at once: the back-off runs, Stripe is not asked
    assert again.redirect_url is None and "did not answer" in again.instructions[0]
    assert len(fake.requests_to("POST", "/v1/checkout/sessions")) == 1
    after_backoff(order)
    again = start(reload(order))
    assert again.redirect_url
    attempts = fake.requests_to("POST", "/v1/checkout/sessions")
    # Stripe stored the 500 for the first key and would replay it: the next try has its own key.
    assert [r.idempotency_key for r in attempts] == [first, f"market-checkout-{order.id}-2"]
    assert [r.answered for r in attempts] == [500, 200]
    assert len(fake.sessions) == 1
    failed, paid = db.session.query(Payment).filter_by(order_id=order.id).order_by(Payment.attempt).all()
    assert failed.status == "cancelled" and failed.failure.startswith("failed: 500")
    assert paid.status == "pending" and paid.provider_ref in fake.sessions


def test_timeout_after_stripe_created_the_session_gives_the_same_session(app, fake, tour):
    order = stripe_order(tour)
    app.config["STRIPE_MAX_NETWORK_RETRIES"] = 0
    app.extensions.pop("stripe_client", None)
    fake.fail_next("/v1/checkout/sessions", "lost")
    result = start(order)
    assert result.redirect_url is None and "did not answer" in result.instructions[0]
    assert len(fake.sessions) == 1  # created at Stripe, but we never heard
    after_backoff(order)
    again = start(reload(order))
    assert again.redirect_url
    assert len(fake.sessions) == 1  # the retry got the same session back, not a second one
    payment = session_of(order)
    assert payment.provider_ref in fake.sessions


def test_timeout_message_and_order_stays_payable(app, fake, tour, client):
    order = stripe_order(tour)
    fake.fail_next("/v1/checkout/sessions", "timeout", times=3)
    result = start(order)
    assert "try again" in result.instructions[0]
    assert reload(order).status == "pending_payment"
    after_backoff(order)
    assert start(reload(order)).redirect_url
    keys = {r.idempotency_key for r in fake.requests_to("POST", "/v1/checkout/sessions")}
    assert keys == {f"market-checkout-{order.id}-1"}  # nothing was stored: the same request again


def test_return_page_waits_for_the_webhook_then_links_the_receipt(app, fake, tour, client):
    order = stripe_order(tour)
    start(order)
    payment = session_of(order)
    url = f"/payments/stripe/return?session_id={payment.provider_ref}"
    page = client.get(url)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "confirming your payment" in text.lower()
    assert 'http-equiv="refresh"' in text
    assert reload(order).status == "pending_payment"  # the redirect alone proves nothing
    fake.pay(payment.provider_ref)  # paid at Stripe, but no webhook yet
    assert "confirming your payment" in client.get(url).get_data(as_text=True).lower()
    post_event(client, event("checkout.session.completed", fake.sessions[payment.provider_ref]))
    text = client.get(url).get_data(as_text=True)
    assert "Your payment is confirmed" in text
    assert f"/orders/{order.reference}/receipt" in text
    assert 'http-equiv="refresh"' not in text


def test_webhook_before_the_buyer_returns(app, fake, tour, client):
    order = stripe_order(tour)
    start(order)
    payment = session_of(order)
    response = post_event(client, event("checkout.session.completed", fake.pay(payment.provider_ref)))
    assert response.status_code == 200
    assert reload(order).status == "paid"
    text = client.get(f"/payments/stripe/return?session_id={payment.provider_ref}").get_data(as_text=True)
    assert "Your payment is confirmed" in text


def test_return_page_for_unknown_session_is_404(app, fake, client):
    assert client.get("/payments/stripe/return?session_id=cs_test_nope").status_code == 404
    assert client.get("/payments/stripe/return?session_id=x").status_code == 404


def test_paid_session_is_not_offered_again(app, fake, tour):
    order = stripe_order(tour)
    start(order)
    payment = session_of(order)
    fake.pay(payment.provider_ref)
    result = start(reload(order))
    assert "/payments/stripe/return" in result.redirect_url
    assert len(fake.requests_to("POST", "/v1/checkout/sessions")) == 1


def test_expired_session_gets_a_new_attempt_with_a_new_key(app, fake, tour):
    order = stripe_order(tour)
    start(order)
    fake.expire(session_of(order).provider_ref)
    start(reload(order))
    keys = [r.idempotency_key for r in fake.requests_to("POST", "/v1/checkout/sessions")]
    assert keys == [f"market-checkout-{order.id}-1", f"market-checkout-{order.id}-2"]
    assert db.session.query(Payment).filter_by(order_id=order.id, status="cancelled").count() == 1


def test_the_order_page_offers_a_button_that_goes_to_the_stripe_checkout(app, fake, tour, client):
    """The order page only reads (no GET writes or waits for Stripe): "Pay now" is a POST that
    creates the Checkout Session, or reuses the open one, and goes there."""
    order = stripe_order(tour)
    with client.session_transaction() as s:
        s["guest_orders"] = [order.reference]
    page = client.get(f"/orders/{order.reference}")
    assert page.status_code == 200
    assert f'action="/orders/{order.reference}/pay"' in page.get_data(as_text=True)
    assert fake.requests == [] and session_of(order) is None
    first = post_form(client, f"/orders/{order.reference}/pay", form_url=f"/orders/{order.reference}")
    assert first.status_code == 303 and first.location.startswith("https://checkout.stripe.com/")
    again = post_form(client, f"/orders/{order.reference}/pay", form_url=f"/orders/{order.reference}")
    assert again.location == first.location  # the open session, not a second one
    assert len(fake.requests_to("POST", "/v1/checkout/sessions")) == 1
    assert db.session.get(Order, order.id).status == "pending_payment"
    stranger = app.test_client()
    assert post_form(stranger, f"/orders/{order.reference}/pay", form_url="/orders").status_code == 404


def test_leaving_the_checkout_page_shows_not_completed_and_pay_again(app, fake, tour, client):
    order = stripe_order(tour)
    start(order)
    [request] = fake.requests_to("POST", "/v1/checkout/sessions")
    cancel_url, success_url = request.params["cancel_url"], request.params["success_url"]
    assert cancel_url != success_url and "/payments/stripe/cancelled?p=" in cancel_url
    with client.session_transaction() as s:
        s["guest_orders"] = [order.reference]
    page = client.get(cancel_url)
    assert page.status_code == 200 and "Refresh" not in page.headers
    text = page.get_data(as_text=True)
    assert "Your payment was not completed. Nothing was charged." in text
    assert "confirming your payment" not in text.lower()
    assert "Pay again" in text and f"/orders/{order.reference}" in text
    assert reload(order).status == "pending_payment"
    assert client.get(cancel_url + "x").status_code == 404  # a forged link shows nothing
    assert client.get("/payments/stripe/cancelled?p=1").status_code == 404


def test_retries_cannot_keep_the_places_for_ever(app, fake, tour):
    order = stripe_order(tour)
    fake.fail_next("/v1/checkout/sessions", "500")
    start(order)  # Stripe is down
    after_backoff(order)
    order = reload(order)
    order.created_at -= timedelta(hours=1)  # an hour later the buyer is still retrying
    order.hold_expires_at = utcnow() + timedelta(minutes=2)
    db.session.commit()
    hold = reload(order).hold_expires_at
    result = start(reload(order))
    assert result.redirect_url is None and "too soon to pay online" in result.instructions[0]
    assert reload(order).hold_expires_at == hold  # not moved on again
    assert len(fake.requests_to("POST", "/v1/checkout/sessions")) == 1  # only the first attempt


def test_no_stripe_call_runs_inside_a_database_transaction(app, fake, tour, client):
    """Row locks (SQLite: the write lock) are never held while Stripe answers."""
    from market.orders import lifecycle

    order = stripe_order(tour)
    start(order)
    session = fake.pay(session_of(order).provider_ref)
    post_event(client, event("checkout.session.completed", session))  # fee fetched after commit
    lifecycle.cancel_order(reload(order), reason="plans changed")  # refund sent after commit
    charge = fake.charge_for(session["id"])
    post_event(client, event("charge.refunded", charge))  # refunds listed after commit
    other = stripe_order(tour, seats=1)
    start(other)
    lifecycle.cancel_order(reload(other), reason="changed my mind")  # session expired after commit
    kinds = {(r.method, r.path.split("/")[2]) for r in fake.requests}
    assert {("POST", "checkout"), ("GET", "payment_intents"), ("POST", "refunds"),
            ("GET", "refunds")} <= kinds
    assert not [r.path for r in fake.requests if r.in_transaction]
