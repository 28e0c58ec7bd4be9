# ruff: noqa: F405
"""Stripe refunds (idempotency key stored before the call, final state from webhooks, Stripe's
actual amounts), reconciliation, and the admin payments list."""

from datetime import timedelta

import pytest

from market.orders import service as orders
from market.payments.service import apply_request_refund
from models import Refund, db, utcnow
from tests.conftest import login
from tests.stripe_fixtures import *  # noqa: F403 - fixtures fake, tour and helpers

pytestmark = pytest.mark.usefixtures("english")  # these tests check English wording


def _cancel(order):
    return orders.cancel_order(order, reason="plans changed")


def test_cancelling_a_paid_order_asks_stripe_with_the_stored_key(app, client, fake, tour):
    order = paid_order(client, fake, tour)
    _cancel(order)
    [refund] = db.session.query(Refund).filter_by(order_id=order.id).all()
    [request] = fake.requests_to("POST", "/v1/refunds")
    assert request.idempotency_key == refund.idempotency_key
    assert request.params["amount"] == "17600"
    assert request.params["payment_intent"] == session_of(order).provider_charge_ref
    assert request.params["metadata[refund_id]"] == str(refund.id)
    assert refund.status == "pending" and refund.provider_ref.startswith("re_")
    assert reload(order).status == "cancelled"
    settled = fake.settle_refund(refund.provider_ref)
    assert post_event(client, event("refund.updated", settled)).status_code == 200
    assert reload(refund).status == "succeeded" and reload(refund).settled_at is not None
    assert reload(order).status == "refunded"
    page = client.get(f"/payments/stripe/return?session_id={session_of(order).provider_ref}")
    assert "cancelled and your payment is refunded" in page.get_data(as_text=True)
    assert post_event(client, event("refund.updated", settled)).status_code == 200  # new event id
    assert reload(refund).status == "succeeded"
    assert reload(order).lines[0].refunded_fen == 17600  # not twice


def test_partial_refund_records_stripes_actual_amount(app, client, fake, make):
    home = make.home()
    listing = make.listing(home, "tour", price_fen=8800)
    tour = make.session(listing, capacity=5)
    order = paid_order(client, fake, tour, seats=3)
    line = order.lines[0]
    refund = apply_request_refund(order, {line.id: 8800}, "one seat less")
    db.session.commit()
    [request] = fake.requests_to("POST", "/v1/refunds")
    assert request.params["amount"] == "8800"
    answer = dict(fake.settle_refund(refund.provider_ref), amount=8000)  # what Stripe really sent
    post_event(client, event("refund.updated", answer))
    refund = reload(refund)
    assert refund.status == "succeeded" and refund.amount_fen == 8000
    order = reload(order)
    assert order.status == "partially_refunded" and order.lines[0].refunded_fen == 8000


def test_charge_refunded_without_inline_refunds_asks_stripe_for_them(app, client, fake, tour):
    order = paid_order(client, fake, tour)
    _cancel(order)
    refund = db.session.query(Refund).filter_by(order_id=order.id).one()
    fake.settle_refund(refund.provider_ref)
    charge = fake.charges[fake.refunds[refund.provider_ref]["charge"]]
    assert post_event(client, event("charge.refunded", dict(charge))).status_code == 200
    assert fake.requests_to("GET", "/v1/refunds")
    assert reload(refund).status == "succeeded" and reload(order).status == "refunded"


def test_refund_failure_is_recorded_and_flagged(app, client, fake, tour):
    order = paid_order(client, fake, tour)
    _cancel(order)
    refund = db.session.query(Refund).filter_by(order_id=order.id).one()
    failed = fake.settle_refund(refund.provider_ref, "failed", "expired_or_canceled_card")
    assert post_event(client, event("refund.updated", failed)).status_code == 200
    refund = reload(refund)
    assert refund.status == "failed" and refund.failure == "expired_or_canceled_card"
    order = reload(order)
    assert "failed" in order.flag and order.lines[0].refunded_fen == 0
    late = dict(failed, status="succeeded")  # forward only: a failed refund stays failed
    post_event(client, event("refund.updated", late))
    assert reload(refund).status == "failed"


def test_refund_refused_by_stripe_fails_at_once(app, client, fake, tour):
    order = paid_order(client, fake, tour)
    charge = fake.charges[fake.intents[session_of(order).provider_charge_ref]["latest_charge"]]
    charge["amount_refunded"] = charge["amount"]  # already refunded in the dashboard
    _cancel(order)
    refund = db.session.query(Refund).filter_by(order_id=order.id).one()
    assert refund.status == "failed" and "greater" in refund.failure


def test_stripe_500_at_refund_keeps_it_pending_and_resends_with_the_same_key(app, client, fake, tour):
    order = paid_order(client, fake, tour)
    fake.fail_next("/v1/refunds", "500", times=3)
    _cancel(order)
    refund = db.session.query(Refund).filter_by(order_id=order.id).one()
    assert refund.status == "pending" and refund.provider_ref is None and "resent" in refund.failure
    assert reload(order).status == "cancelled"
    result = app.test_cli_runner().invoke(args=["payments", "resend-refunds"])
    assert result.exit_code == 0, result.output
    assert "1 refund(s) sent" in result.output
    keys = {r.idempotency_key for r in fake.requests_to("POST", "/v1/refunds")}
    assert keys == {refund.idempotency_key}
    assert reload(refund).provider_ref is not None
    assert len(fake.refunds) == 1  # one refund at Stripe, never two


def test_reconcile_reports_differences(app, client, fake, tour):
    since = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%d")
    order = paid_order(client, fake, tour)
    runner = app.test_cli_runner()
    clean = runner.invoke(args=["payments", "reconcile", "--since", since])
    assert clean.exit_code == 0, clean.output
    assert "0 difference(s)" in clean.output
    _cancel(order)  # a refund Stripe has settled but whose webhook never came
    refund = db.session.query(Refund).filter_by(order_id=order.id).one()
    fake.settle_refund(refund.provider_ref)
    other = place(tour, seats=1)  # and a charge we never heard of
    start(other)
    fake.pay(session_of(other).provider_ref)
    result = runner.invoke(args=["payments", "reconcile", "--since", since])
    assert result.exit_code == 1
    assert "no payment of ours" in result.output
    assert f"ours is pending (refund {refund.id})" in result.output
    assert "Stripe refunded 17600, ours 0" in result.output
    assert runner.invoke(args=["payments", "reconcile", "--since", "yesterday"]).exit_code != 0


def test_reconcile_needs_stripe(app):
    result = app.test_cli_runner().invoke(args=["payments", "reconcile", "--since", "2026-01-01"])
    assert result.exit_code != 0 and "not configured" in result.output


def test_admin_payments_list_is_for_admins(app, client, fake, tour, make):
    order = paid_order(client, fake, tour)
    payment = session_of(order)
    assert client.get("/admin/payments").status_code in (302, 401)
    staff = make.member(tour.listing.home if hasattr(tour, "listing") else make.home())
    login(client, staff)
    assert client.get("/admin/payments").status_code == 403
    client.get("/logout")
    admin = make.user(is_admin=True)
    other = app.test_client()
    login(other, admin)
    page = other.get("/admin/payments")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert payment.provider_ref in text and payment.provider_charge_ref in text
    assert order.reference in text
    assert other.get("/admin/payments?provider=offline").get_data(as_text=True).count(
        payment.provider_ref) == 0
