# ruff: noqa: F405
"""The pinned Stripe API version, and a fake that cannot hide a request Stripe would refuse."""

import pytest
import stripe

from market.payments import stripe_api
from market.payments.stripe_events import HANDLERS, REQUIRED_EVENTS
from models import Payment, db
from tests import stripe_schema
from tests.factories import stripe_order
from tests.payments.stripe_fixtures import *  # noqa: F403 - fixtures fake, tour and helpers
from tests.stripe_fake import ENDPOINT_EVENTS

pytestmark = pytest.mark.usefixtures("english")


def test_one_version_pinned_and_the_package_speaks_it():
    assert stripe_api.API_VERSION == "2026-10-28.endive"
    # stripe-python's typed params, the fake's schema, are those of the pinned major release.
    assert stripe_schema.SCHEMA_VERSION.rsplit(".", 1)[1] == stripe_api.API_VERSION.rsplit(".", 1)[1]


def test_the_client_sends_the_pinned_version(app, fake):
    stripe_api.client(app).v1.webhook_endpoints.list({"limit": 3})
    [request] = fake.requests
    assert request.headers["Stripe-Version"] == stripe_api.API_VERSION


def test_a_checkout_session_through_the_real_client_is_accepted_at_the_pinned_version(app, fake, tour):
    order = stripe_order(tour)
    params = stripe_provider_params(order)
    session = stripe_api.client(app).v1.checkout.sessions.create(params)
    assert session.status == "open"
    assert session.allowed_payment_method_types == ["card", "alipay", "wechat_pay"]
    assert fake.requests[-1].answered == 200


def stripe_provider_params(order):
    from market.payments.stripe_provider import StripeProvider

    payment = Payment(order_id=order.id, order=order, provider="stripe", attempt=1, status="pending",
                      amount_fen=order.total_fen, currency=order.currency, idempotency_key="k-1")
    db.session.add(payment)
    db.session.flush()
    params = StripeProvider.session_params(order, payment)
    db.session.rollback()
    return params


def test_a_removed_parameter_is_refused_as_stripe_does(app, fake, tour):
    """The bug this fake exists for: since endive Checkout takes no `payment_method_types`."""
    order = stripe_order(tour)
    params = stripe_provider_params(order)
    params["payment_method_types"] = params.pop("allowed_payment_method_types")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_api.client(app).v1.checkout.sessions.create(params, {"idempotency_key": "old-integration"})
    error = raised.value
    assert error.http_status == 400 and error.code == "parameter_unknown"
    assert error.param == "payment_method_types"
    assert error.json_body["error"]["type"] == "invalid_request_error"
    assert error.json_body["error"]["message"] == "Received unknown parameter: payment_method_types"
    assert not fake.sessions  # nothing was made, and nothing stored for the key:
    params["allowed_payment_method_types"] = params.pop("payment_method_types")
    stripe_api.client(app).v1.checkout.sessions.create(params, {"idempotency_key": "old-integration"})
    assert len(fake.sessions) == 1


@pytest.mark.parametrize("change, param, code", [
    (lambda p: p["line_items"][0]["price_data"].pop("currency"), "line_items[0][price_data][currency]",
     "parameter_missing"),
    (lambda p: p["line_items"][0]["price_data"].update(colour="red"), "line_items[0][price_data][colour]",
     "parameter_unknown"),
    (lambda p: p.update(expires_at="soon"), "expires_at", "parameter_invalid_integer"),
    (lambda p: p.update(mode="gift"), "mode", None),
    (lambda p: p.update(allowed_payment_method_types=["card", "cash"]), "allowed_payment_method_types[1]",
     None),
    (lambda p: p.update(success_url=""), "success_url", "parameter_invalid_empty"),
])
def test_nested_missing_unknown_and_mistyped_parameters_are_refused(app, fake, tour, change, param, code):
    params = stripe_provider_params(stripe_order(tour))
    change(params)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_api.client(app).v1.checkout.sessions.create(params)
    assert raised.value.param == param and raised.value.code == code
    assert not fake.sessions


def test_refund_and_list_requests_are_checked_too(app, fake):
    api = stripe_api.client(app)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        api.v1.refunds.create({"payment_intent": "pi_1", "amount": 100, "refund_reason": "x"})
    assert raised.value.code == "parameter_unknown" and raised.value.param == "refund_reason"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        api.v1.charges.list({"created": {"after": 5}})
    assert raised.value.param == "created[after]"


def test_a_stored_500_is_replayed_to_its_key(app, fake, tour):
    params = stripe_provider_params(stripe_order(tour))
    api = stripe_api.client(app)
    fake.fail_next("/v1/checkout/sessions", "500")
    for _ in range(2):  # Stripe stored the 500: the same key gets it again, however often
        with pytest.raises(stripe.APIError):
            api.v1.checkout.sessions.create(params, {"idempotency_key": "k"})
    assert [r.answered for r in fake.requests] == [500, 500] and not fake.sessions
    assert api.v1.checkout.sessions.create(params, {"idempotency_key": "k2"}).status == "open"


def test_objects_and_events_have_the_fields_of_the_pinned_version(app, fake, tour):
    order = stripe_order(tour)
    start(order)
    session = fake.sessions[session_of(order).provider_ref]
    assert set(session) == set(stripe_schema.skeleton(stripe.checkout.Session))
    evt = event("checkout.session.completed", session)
    assert set(evt) == set(stripe_schema.skeleton(stripe.Event))
    assert evt["api_version"] == stripe_api.API_VERSION
    with pytest.raises(AssertionError):
        stripe_schema.build("refund", refunded_by="someone")  # no such field at this version
    with pytest.raises(AssertionError):
        event("charge.dispute.close", {})  # no such event type at this version


def test_every_event_we_read_and_ask_for_exists_at_the_pinned_version():
    types = stripe_schema.event_types()
    assert set(HANDLERS) <= types and set(REQUIRED_EVENTS) <= types
    assert set(REQUIRED_EVENTS) == set(ENDPOINT_EVENTS)  # what docs/payments.md asks to enable


def test_check_webhook_command(app, fake):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["payments", "check-webhook"])
    assert result.exit_code == 0 and stripe_api.API_VERSION in result.output
    fake.endpoints[0].update(api_version="2024-06-20", enabled_events=["checkout.session.completed"])
    result = runner.invoke(args=["payments", "check-webhook"])
    assert result.exit_code == 1
    assert "API version 2024-06-20, must be 2026-10-28.endive" in result.output
    assert "charge.dispute.closed" in result.output and "refund.updated" in result.output


def test_stripe_on_with_a_currency_it_cannot_take_refuses_to_start():
    from market import create_app
    from tests.stripe_fake import SECRET_KEY, WEBHOOK_SECRET

    keys = {"STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "TESTING": True}
    with pytest.raises(RuntimeError, match="ISK"):
        create_app({**keys, "CURRENCY": "ISK"})
    with pytest.raises(RuntimeError, match="XYZ"):
        create_app({**keys, "CURRENCY": "XYZ"})
