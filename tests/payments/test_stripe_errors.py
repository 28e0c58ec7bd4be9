# ruff: noqa: F405
"""Stripe's errors told apart (refused for good: told once, never asked again; transient: retried
with back-off), the checks made before calling Stripe, and the webhook's hygiene."""

import json
import time

import pytest
from flask.testing import FlaskClient

from market.payments.stripe_amounts import MAX_LINE_ITEMS, refusal
from market.payments.stripe_api import API_VERSION
from models import Listing, Order, Payment, WebhookEvent, db, utcnow
from tests.conftest import login, post_form
from tests.factories import paid_by_stripe, staff_url, stripe_order
from tests.payments.stripe_fixtures import *  # noqa: F403 - fixtures fake, tour and helpers
from tests.stripe_fake import WEBHOOK_SECRET, sign, signed

pytestmark = pytest.mark.usefixtures("english")

NOT_ACTIVATED = {"param": "allowed_payment_method_types",
                 "message": "The payment method type \"wechat_pay\" is not activated for your account."}


def _order_page(client, order) -> str:
    with client.session_transaction() as browser:
        browser["guest_orders"] = [order.reference]
    return client.get(f"/orders/{order.reference}").get_data(as_text=True)


def test_a_permanent_refusal_is_told_once_and_never_asked_again(app, client, fake, tour):
    order = stripe_order(tour)
    fake.fail_next("/v1/checkout/sessions", "refused", **NOT_ACTIVATED)
    result = start(order)
    assert result.redirect_url is None and result.pay_offline
    assert "Online payment is not available for this order" in result.instructions[0]
    payment, order = session_of(order), reload(order)
    assert payment.status == "failed" and payment.failure.startswith("refused: 400")
    assert "not activated" in payment.failure and "online payment refused" in order.flag
    assert order.status == "pending_payment"  # still payable: the home can take the money directly
    flag = order.flag
    order.flag = None  # an admin read it; a new look at the page must not flag it again
    db.session.commit()
    for _ in range(3):
        page = _order_page(client, order)
        assert "Online payment is not available for this order" in page
        assert "Pay now" not in page and "did not answer" not in page
    assert len(fake.requests_to("POST", "/v1/checkout/sessions")) == 1
    assert reload(order).flag is None and flag
    admin_page_rows = db.session.query(Payment).filter(Payment.failure.like("refused%")).count()
    assert admin_page_rows == 1


def test_transient_failures_wait_a_growing_back_off(app, fake, tour):
    order = stripe_order(tour)
    fake.fail_next("/v1/checkout/sessions", "429")
    assert "did not answer" in start(order).instructions[0]
    first = session_of(order)
    assert first.status == "pending" and first.failure.startswith("unanswered: 429")
    wait_1 = first.retry_at - utcnow()
    after_backoff(order)
    fake.fail_next("/v1/checkout/sessions", "timeout", times=3)
    assert "did not answer" in start(reload(order)).instructions[0]
    wait_2 = session_of(order).retry_at - utcnow()
    assert wait_2 > wait_1  # exponential back-off across the order's failures
    after_backoff(order)
    assert start(reload(order)).redirect_url
    keys = {r.idempotency_key for r in fake.requests_to("POST", "/v1/checkout/sessions")}
    assert keys == {f"market-checkout-{order.id}-1"}  # nothing was stored: the same request again


def _order_with_total(tour, fen: int) -> Order:
    order = stripe_order(tour, seats=1)
    order.lines[0].unit_price_fen = order.lines[0].amount_fen = order.total_fen = fen
    db.session.commit()
    return order


def test_below_stripes_smallest_charge_is_refused_before_calling(app, fake, tour):
    order = _order_with_total(tour, 499)
    result = start(order)
    assert result.pay_offline and not fake.requests
    assert "smallest charge" in session_of(order).failure
    assert start(_order_with_total(tour, 500)).redirect_url


def test_a_listing_in_another_currency_is_refused_before_calling(app, fake, tour):
    order = stripe_order(tour)
    db.session.get(Listing, tour.listing_id).currency = "USD"  # changed after the checkout
    db.session.commit()
    assert start(order).pay_offline and not fake.requests
    assert "not the market's CNY" in session_of(order).failure


def test_a_listing_in_another_currency_cannot_be_checked_out(app, fake, tour):
    from market.orders.cart import add_to_cart, review_cart

    db.session.get(Listing, tour.listing_id).currency = "USD"
    db.session.commit()
    add_to_cart("s:usd", tour.listing_id, quantity="1", session_id=str(tour.id))
    db.session.commit()
    [line] = review_cart("s:usd").lines
    assert "another currency" in line.problem


def test_the_checks_before_calling():
    line = [("tea", 1, 1000)]
    assert refusal("CNY", "CNY", 1000, line, {"CNY"}) is None
    assert "at most 100" in refusal("CNY", "CNY", 101_000, line * (MAX_LINE_ITEMS + 1), {"CNY"})
    assert refusal("CNY", "CNY", 100_000, line * MAX_LINE_ITEMS, {"CNY"}) is None
    assert "not the market's" in refusal("CNY", "USD", 1000, line, {"CNY"})
    assert "smallest charge" in refusal("USD", "USD", 49, [("tea", 1, 49)], {"USD"})
    # Zero-decimal: ¥50 is 50 for Babel and for Stripe alike, and is Stripe's smallest JPY charge.
    assert refusal("JPY", "JPY", 50, [("tea", 1, 50)], {"JPY"}) is None
    assert "smallest charge" in refusal("JPY", "JPY", 49, [("tea", 1, 49)], {"JPY"})
    assert "not supported" in refusal("ISK", "ISK", 10_000, [("tea", 1, 10_000)], {"ISK"})
    assert "largest amount" in refusal("CNY", "CNY", 10**8, [("car", 1, 10**8)], {"CNY"})


# ---- the webhook ------------------------------------------------------------------------------


def _post_raw(client, body: bytes, timestamp: int | None = None):
    header = sign(body.decode("utf-8", "replace"), WEBHOOK_SECRET, timestamp)
    return client.post(WEBHOOK, data=body, headers={"Stripe-Signature": header,
                                                   "Content-Type": "application/json"})


@pytest.mark.parametrize("body", [
    b"[]", b'"an event"', b"5", b"null", b"{not json",
    json.dumps({"id": "evt_1", "type": "checkout.session.completed"}).encode(),
    json.dumps({"id": "evt_1", "type": "checkout.session.completed", "data": {"object": []}}).encode(),
    json.dumps({"id": "evt_1", "type": "checkout.session.completed", "data": "x"}).encode(),
    json.dumps({"id": 5, "type": "checkout.session.completed", "data": {"object": {}}}).encode(),
    json.dumps({"id": "evt_\u0000", "type": "x", "data": {"object": {}}}).encode(),
    b'{"id": "evt_1", "type": "x\x00", "data": {"object": {}}}',
])
def test_signed_but_malformed_bodies_get_400_and_change_nothing(app, client, fake, body):
    response = _post_raw(client, body)
    assert response.status_code == 400
    assert db.session.query(WebhookEvent).count() == 0


def test_a_body_that_is_not_utf8_gets_400(app, client, fake):
    body = b'{"id": "evt_1", "type": "\xff"}'
    header = sign(body.decode("latin-1"), WEBHOOK_SECRET)
    assert client.post(WEBHOOK, data=body, headers={"Stripe-Signature": header}).status_code == 400


def test_a_timestamp_in_the_future_is_refused_like_an_old_one(app, client, fake, tour):
    order = stripe_order(tour)
    start(order)
    evt = event("checkout.session.completed", fake.pay(session_of(order).provider_ref))
    tolerance = app.config["STRIPE_WEBHOOK_TOLERANCE"]
    assert post_event(client, evt, timestamp=int(time.time()) + tolerance + 60).status_code == 400
    assert reload(order).status == "pending_payment"
    assert post_event(client, evt, timestamp=int(time.time()) + 30).status_code == 200  # clock skew


def test_an_event_at_another_api_version_is_kept_unapplied_and_refused(app, client, fake, tour):
    order = stripe_order(tour)
    start(order)
    session = fake.pay(session_of(order).provider_ref)
    old = event("checkout.session.completed", session, api_version="2024-06-20")
    response = post_event(client, old)
    assert response.status_code == 400
    assert reload(order).status == "pending_payment"
    inbox = db.session.query(WebhookEvent).one()
    assert inbox.processed_at is None and API_VERSION in inbox.error and "2024-06-20" in inbox.error
    later = event("checkout.session.completed", session, api_version="2027-01-27.endive")
    assert post_event(client, later).status_code == 200  # a later release of the same major
    assert reload(order).status == "paid"


def test_the_webhook_answers_before_it_calls_stripe(app, fake, tour):
    order = stripe_order(tour)
    start(order)
    body, headers = signed(event("checkout.session.completed", fake.pay(session_of(order).provider_ref)))
    db.session.commit()
    raw = FlaskClient(app)  # closes nothing by itself: the response is sent, not yet closed
    with app.app_context():
        response = raw.post(WEBHOOK, data=body, headers=headers)
    assert response.status_code == 200
    assert not fake.requests_to("GET", "/v1/payment_intents")  # no call made inside the request
    response.close()  # the server has sent it
    assert len(fake.requests_to("GET", "/v1/payment_intents")) == 1
    assert reload(order).status == "paid" and session_of(order).fee_fen is not None


# ---- cancelling: "refund requested" until Stripe confirms -------------------------------------


def test_staff_and_buyer_are_told_refund_requested_until_stripe_confirms(app, client, fake, tour, make):
    order = paid_by_stripe(client, fake, tour)
    staff = app.test_client()
    staff.set_cookie("lang", "en")
    login(staff, make.member(order.home))
    response = post_form(staff, staff_url(order, "/cancel"), {"reason": "heavy rain"},
                         form_url=staff_url(order), follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "a full refund is requested" in text and "fully refunded" not in text
    other = paid_by_stripe(client, fake, tour, seats=1)
    with client.session_transaction() as browser:
        browser["guest_orders"] = [other.reference]
    response = post_form(client, f"/orders/{other.reference}/cancel", {"confirm": "y", "reason": ""},
                         form_url=f"/orders/{other.reference}", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "your refund is requested" in text and "Refund requested" in text
