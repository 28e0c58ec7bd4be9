# ruff: noqa: F405
"""Stripe refunds (idempotency key stored before the call, final state from webhooks, Stripe's
actual amounts), reconciliation, and the admin payments list."""

from datetime import timedelta

import pytest

from market.orders import lifecycle, tokens
from market.payments.service import apply_request_refund
from models import Refund, WebhookEvent, db, utcnow
from tests.conftest import login
from tests.factories import Factory, cancel, paid_by_stripe, stripe_order
from tests.payments.stripe_fixtures import *  # noqa: F403 - fixtures fake, tour and helpers

pytestmark = pytest.mark.usefixtures("english")  # these tests check English wording


def test_cancelling_a_paid_order_asks_stripe_with_the_stored_key(app, client, fake, tour):
    order = paid_by_stripe(client, fake, tour)
    cancel(order)
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
    order = paid_by_stripe(client, fake, tour, seats=3)
    line = order.lines[0]
    refund = lifecycle.refund_lines(order, actor=None, requests={line.id: ("1", "")}, reason="one seat less",
                                 token=tokens.new_form_token())
    [request] = fake.requests_to("POST", "/v1/refunds")
    assert request.params["amount"] == "8800"
    answer = dict(fake.settle_refund(refund.provider_ref), amount=8000)  # what Stripe really sent
    post_event(client, event("refund.updated", answer))
    refund = reload(refund)
    assert refund.status == "succeeded" and refund.amount_fen == 8000
    order = reload(order)
    assert order.status == "partially_refunded" and order.lines[0].refunded_fen == 8000


def test_charge_refunded_without_inline_refunds_asks_stripe_for_them(app, client, fake, tour):
    order = paid_by_stripe(client, fake, tour)
    cancel(order)
    refund = db.session.query(Refund).filter_by(order_id=order.id).one()
    fake.settle_refund(refund.provider_ref)
    charge = fake.charges[fake.refunds[refund.provider_ref]["charge"]]
    assert post_event(client, event("charge.refunded", dict(charge))).status_code == 200
    assert fake.requests_to("GET", "/v1/refunds")
    assert reload(refund).status == "succeeded" and reload(order).status == "refunded"


def test_refund_failure_is_recorded_and_flagged(app, client, fake, tour):
    order = paid_by_stripe(client, fake, tour)
    cancel(order)
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
    order = paid_by_stripe(client, fake, tour)
    charge = fake.charges[fake.intents[session_of(order).provider_charge_ref]["latest_charge"]]
    charge["amount_refunded"] = charge["amount"]  # already refunded in the dashboard
    cancel(order)
    refund = db.session.query(Refund).filter_by(order_id=order.id).one()
    assert refund.status == "failed" and "greater" in refund.failure


def test_stripe_500_at_refund_keeps_it_pending_and_resends_with_a_new_key(app, client, fake, tour):
    order = paid_by_stripe(client, fake, tour)
    fake.fail_next("/v1/refunds", "500")
    cancel(order)
    refund = db.session.query(Refund).filter_by(order_id=order.id).one()
    assert refund.status == "pending" and refund.provider_ref is None and "resent" in refund.failure
    assert reload(order).status == "cancelled"
    result = app.test_cli_runner().invoke(args=["payments", "resend-refunds"])
    assert result.exit_code == 0, result.output
    assert "1 refund(s) sent" in result.output
    keys = [r.idempotency_key for r in fake.requests_to("POST", "/v1/refunds")]
    assert keys == [refund.idempotency_key, f"{refund.idempotency_key}-2"]  # the 500 is stored for the first
    assert reload(refund).provider_ref is not None
    assert len(fake.refunds) == 1  # one refund at Stripe, never two


def test_a_refund_made_despite_a_500_is_found_not_made_again(app, client, fake, tour):
    order = paid_by_stripe(client, fake, tour)
    fake.fail_next("/v1/refunds", "lost")  # done at Stripe, the answer lost ...
    app.config["STRIPE_MAX_NETWORK_RETRIES"] = 0
    app.extensions.pop("stripe_client", None)
    cancel(order)
    refund = db.session.query(Refund).filter_by(order_id=order.id).one()
    refund.send_attempt = 2  # ... as after a 5xx: the next send would have a new key
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["payments", "resend-refunds"])
    assert "1 refund(s) sent" in result.output
    assert len(fake.requests_to("POST", "/v1/refunds")) == 1  # listed first, found, not sent again
    assert reload(refund).provider_ref in fake.refunds and len(fake.refunds) == 1


def test_reconcile_reports_differences(app, client, fake, tour):
    since = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%d")
    order = paid_by_stripe(client, fake, tour)
    runner = app.test_cli_runner()
    clean = runner.invoke(args=["payments", "reconcile", "--since", since])
    assert clean.exit_code == 0, clean.output
    assert "0 difference(s)" in clean.output
    cancel(order)  # a refund Stripe has settled but whose webhook never came
    refund = db.session.query(Refund).filter_by(order_id=order.id).one()
    fake.settle_refund(refund.provider_ref)
    other = stripe_order(tour, seats=1)  # and a charge we never heard of
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
    order = paid_by_stripe(client, fake, tour)
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


# ---- idempotency: nothing is sent before the commit; the key comes from the request ----------


def test_a_rollback_after_the_refund_request_sends_nothing_and_the_retry_refunds_once(
        app, client, fake, tour, monkeypatch):
    order = paid_by_stripe(client, fake, tour)

    def broken_mail(*_args):
        raise RuntimeError("mail template exploded")

    monkeypatch.setattr(lifecycle, "queue_mail", broken_mail)
    with pytest.raises(RuntimeError):
        cancel(reload(order))
    db.session.rollback()
    assert not fake.requests_to("POST", "/v1/refunds")  # nothing reached Stripe
    monkeypatch.undo()
    cancel(reload(order))
    [request] = fake.requests_to("POST", "/v1/refunds")
    [refund] = db.session.query(Refund).filter_by(order_id=order.id).all()
    assert request.idempotency_key == refund.idempotency_key == f"cancel-{order.id}"
    assert len(fake.refunds) == 1


def test_the_default_refund_key_is_the_same_for_the_same_request(app, client, fake, tour):
    order = paid_by_stripe(client, fake, tour)
    line_id = order.lines[0].id
    keys = []
    for _ in range(2):  # the same request, rolled back and made again
        keys.append(apply_request_refund(reload(order), {line_id: 8800}, "one seat").idempotency_key)
        db.session.rollback()
    assert keys[0] == keys[1]
    other = apply_request_refund(reload(order), {line_id: 100}, "a little").idempotency_key
    assert other != keys[0]
    db.session.rollback()


def test_the_fake_refuses_a_key_used_again_with_other_parameters(app, client, fake, tour):
    import stripe

    from market.payments.stripe_api import client as stripe_client

    order = paid_by_stripe(client, fake, tour)
    intent = session_of(order).provider_charge_ref
    db.session.commit()
    api = stripe_client()
    api.v1.refunds.create({"payment_intent": intent, "amount": 100}, {"idempotency_key": "k-1"})
    again = api.v1.refunds.create({"payment_intent": intent, "amount": 100}, {"idempotency_key": "k-1"})
    assert len(fake.refunds) == 1 and again.amount == 100  # the same request: the same answer
    with pytest.raises(stripe.IdempotencyError):
        api.v1.refunds.create({"payment_intent": intent, "amount": 200}, {"idempotency_key": "k-1"})


def _stray_refund(fake, order, created):
    """A refund at Stripe naming a refund id of ours that does not exist."""
    intent = session_of(order).provider_charge_ref
    status, obj = fake._create_refund({"payment_intent": intent, "amount": "500",
                                        "metadata[refund_id]": "999999"})
    assert status == 200
    return dict(fake.settle_refund(obj["id"]), created=created)


def test_an_event_about_an_unknown_refund_is_retried_while_young_then_flagged(app, client, fake, tour):
    import time

    order = paid_by_stripe(client, fake, tour)
    young = _stray_refund(fake, order, int(time.time()))
    assert post_event(client, event("refund.updated", young)).status_code == 500  # Stripe resends
    old = dict(young, created=int(time.time()) - 3600)
    response = post_event(client, event("refund.updated", old))
    assert response.status_code == 200
    assert "outside the market" in reload(order).flag
    # The money has left: the books record it (a person is told and looks at the lost request).
    recorded = db.session.query(Refund).one()
    assert recorded.provider_ref == young["id"] and recorded.amount_fen == 500
    assert reload(order).status == "partially_refunded"
    admin = app.test_client()
    login(admin, _admin())
    page = admin.get("/admin/payments").get_data(as_text=True)
    assert young["id"] in page and "outside the market" in page


def _admin():
    from models import User

    return db.session.query(User).filter_by(is_admin=True).first() or Factory().user(is_admin=True)


# ---- who asked, and what Stripe is told ------------------------------------------------------


def test_a_buyers_cancellation_tells_stripe_the_customer_asked(app, client, fake, tour):
    order = paid_by_stripe(client, fake, tour)
    cancel(order)
    [request] = fake.requests_to("POST", "/v1/refunds")
    assert request.params["reason"] == "requested_by_customer"
    assert request.params["metadata[initiated_by]"] == "customer"


def test_a_staff_cancellation_does_not_claim_the_customer_asked(app, client, fake, tour):
    order = paid_by_stripe(client, fake, tour)
    lifecycle.cancel_order(order, by_staff=True, reason="the elder is ill")
    [request] = fake.requests_to("POST", "/v1/refunds")
    assert "reason" not in request.params
    assert request.params["metadata[initiated_by]"] == "staff"
    assert db.session.query(Refund).one().initiated_by == "staff"


# ---- cancelling an unpaid order closes its Checkout Session -----------------------------------


def test_cancelling_an_unpaid_order_expires_its_checkout_session(app, client, fake, tour):
    order = stripe_order(tour)
    start(order)
    sid = session_of(order).provider_ref
    cancel(reload(order))
    assert [r.path for r in fake.requests_to("POST", "/v1/checkout/sessions/")] == [
        f"/v1/checkout/sessions/{sid}/expire"]
    assert fake.sessions[sid]["status"] == "expired"
    assert session_of(order).status == "cancelled" and reload(order).status == "cancelled"
    # Stripe's own "expired" event later changes nothing.
    assert post_event(client, event("checkout.session.expired", fake.sessions[sid])).status_code == 200
    assert reload(order).status == "cancelled"


def test_a_payment_after_cancellation_is_refunded_never_revives_the_order(app, client, fake, tour):
    order = stripe_order(tour)
    start(order)
    session = fake.pay(session_of(order).provider_ref)  # paid at Stripe a moment before…
    cancel(reload(order))  # …the buyer cancelled here (the session could not be expired)
    assert reload(tour).reserved == 0
    assert post_event(client, event("checkout.session.completed", session)).status_code == 200
    order = reload(order)
    assert order.status == "cancelled" and "cancelled" in order.flag
    assert reload(tour).reserved == 0  # never re-reserved
    [refund] = db.session.query(Refund).filter_by(order_id=order.id).all()
    assert refund.amount_fen == 17600 and refund.initiated_by == "market"
    [request] = fake.requests_to("POST", "/v1/refunds")
    assert request.idempotency_key == refund.idempotency_key == f"late-{session_of(order).id}"
    assert "reason" not in request.params
    page = client.get(f"/payments/stripe/return?session_id={session['id']}").get_data(as_text=True)
    assert "cancelled before your payment arrived" in page
    settled = fake.settle_refund(refund.provider_ref)
    post_event(client, event("refund.updated", settled))
    assert reload(order).status == "refunded"


# ---- waiting events are applied whatever the payment becomes --------------------------------


def _dashboard_refund(fake, session, amount=None):
    obj = fake._create_refund({"payment_intent": session["payment_intent"],
                               **({"amount": str(amount)} if amount else {})})[1]
    return fake.settle_refund(obj["id"])


def test_a_refund_waiting_for_a_payment_that_ends_under_review_is_flagged(app, client, fake, tour):
    order = stripe_order(tour)
    start(order)
    session = fake.pay(session_of(order).provider_ref, amount=100)  # the wrong amount
    refund = _dashboard_refund(fake, session)
    assert post_event(client, event("refund.updated", refund)).get_json()["status"] == "deferred"
    post_event(client, event("checkout.session.completed", session))
    order = reload(order)
    assert session_of(order).status == "needs_review"
    assert "under review" in order.flag
    assert all(e.processed_at is not None for e in db.session.query(WebhookEvent))


def test_charge_refunded_without_inline_refunds_lists_them_and_settles_a_mismatch(app, client, fake, tour):
    order = stripe_order(tour)
    start(order)
    session = fake.pay(session_of(order).provider_ref, amount=100)
    post_event(client, event("checkout.session.completed", session))  # the wrong amount: given back
    [ours] = fake.refunds.values()
    fake.settle_refund(ours["id"])
    charge = fake.charge_for(session["id"])  # as events carry it since 2022-11-15: no refunds
    response = post_event(client, event("charge.refunded", charge))
    assert response.get_json()["status"] == "processed"
    assert fake.requests_to("GET", "/v1/refunds")
    assert session_of(order).status == "returned"
    assert "returned in full" in reload(order).flag


def test_refunds_that_cannot_be_listed_wait_and_reconcile_applies_them(app, client, fake, tour):
    order = paid_by_stripe(client, fake, tour)
    session = fake.sessions[session_of(order).provider_ref]
    refund = _dashboard_refund(fake, session)
    fake.fail_next("/v1/refunds", "500", times=3)
    evt = event("charge.refunded", fake.charge_for(session["id"]))
    assert post_event(client, evt).status_code == 200
    inbox = db.session.query(WebhookEvent).filter_by(event_id=evt["id"]).one()
    assert inbox.processed_at is None and "could not be fetched" in inbox.error
    since = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%d")
    result = app.test_cli_runner().invoke(args=["payments", "reconcile", "--since", since])
    assert "1 waiting event(s) applied" in result.output, result.output
    assert reload(order).status == "refunded"
    [ours] = db.session.query(Refund).filter_by(order_id=order.id).all()
    assert ours.provider_ref == refund["id"] and ours.status == "succeeded"
    assert result.exit_code == 0, result.output


def test_reconcile_applies_an_event_whose_replay_was_missed(app, client, fake, tour):
    order = paid_by_stripe(client, fake, tour)
    session = fake.sessions[session_of(order).provider_ref]
    refund = _dashboard_refund(fake, session)
    evt = event("refund.updated", refund)
    db.session.add(WebhookEvent(provider="stripe", event_id=evt["id"], type=evt["type"],
                                payload=json.dumps(evt), error="deferred: refund before the payment "
                                "was confirmed", object_ref=session["payment_intent"]))
    db.session.commit()  # deferred while the payment was confirmed, and never replayed
    since = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%d")
    result = app.test_cli_runner().invoke(args=["payments", "reconcile", "--since", since])
    assert result.exit_code == 0, result.output
    assert reload(order).status == "refunded"


# ---- fees ---------------------------------------------------------------------------------


def test_a_fee_settled_in_another_currency_is_recorded_with_it(app, client, fake, tour):
    order = stripe_order(tour)
    start(order)
    session = fake.pay(session_of(order).provider_ref, settle_in="hkd", settle_rate=1.08)
    post_event(client, event("checkout.session.completed", session))
    payment = session_of(order)
    assert payment.fee_currency == "HKD"
    assert payment.fee_fen == round(17600 * 1.08) * 340 // 10000
    assert payment.currency == "CNY" and payment.amount_fen == 17600


def test_reconcile_records_fees_the_webhook_could_not(app, client, fake, tour):
    order = stripe_order(tour)
    start(order)
    session = fake.pay(session_of(order).provider_ref, settle_in="usd", settle_rate=0.14)
    fake.fail_next("/v1/payment_intents", "timeout")
    post_event(client, event("checkout.session.completed", session))
    assert session_of(order).fee_fen is None
    since = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%d")
    result = app.test_cli_runner().invoke(args=["payments", "reconcile", "--since", since])
    assert result.exit_code == 0, result.output
    assert "1 processing fee(s) recorded" in result.output
    payment = session_of(order)
    assert (payment.fee_fen, payment.fee_currency) == (round(17600 * 0.14) * 340 // 10000, "USD")


def test_admin_payments_list_speaks_the_readers_language(app, client, fake, tour, make):
    """Stored codes (stripe, succeeded, card) are shown as words, in Chinese by default."""
    paid_by_stripe(client, fake, tour)
    admin = app.test_client()
    login(admin, make.user(is_admin=True))
    text = admin.get("/admin/payments").get_data(as_text=True)
    rows = text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "在线支付（Stripe）" in rows and "成功" in rows
    assert ">succeeded<" not in rows and ">stripe #" not in rows
