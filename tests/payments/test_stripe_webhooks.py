# ruff: noqa: F405
"""Stripe webhooks: verified signatures, an inbox that applies each event once, forward-only
transitions whatever the order of delivery, amount checks, late payments."""

import time

import pytest

from market import hooks
from market.orders import lifecycle
from market.payments import stripe_events
from models import Order, OrderEvent, Payment, Refund, TourSession, WebhookEvent, db
from tests.factories import paid_by_stripe, stripe_order
from tests.payments.stripe_fixtures import *  # noqa: F403 - fixtures fake, tour and helpers
from tests.stripe_fake import sign, signed

pytestmark = pytest.mark.usefixtures("english")  # these tests check English wording


def _session(order):
    start(order)
    return session_of(order).provider_ref


def _count(model, **filters):
    return db.session.query(model).filter_by(**filters).count()


def test_valid_event_marks_the_order_paid_and_is_stored(app, client, fake, tour):
    order = stripe_order(tour)
    sid = _session(order)
    evt = event("checkout.session.completed", fake.pay(sid))
    response = post_event(client, evt)
    assert response.status_code == 200
    order = reload(order)
    assert order.status == "paid" and order.paid_at is not None
    payment = session_of(order)
    assert payment.status == "succeeded" and payment.provider_charge_ref.startswith("pi_")
    assert payment.fee_fen == 17600 * 340 // 10000  # from the balance transaction
    inbox = db.session.query(WebhookEvent).one()
    assert (inbox.provider, inbox.event_id, inbox.type) == ("stripe", evt["id"], evt["type"])
    assert json.loads(inbox.payload)["id"] == evt["id"]
    assert inbox.received_at is not None and inbox.processed_at is not None and inbox.error is None


def test_bad_signature_is_refused_and_changes_nothing(app, client, fake, tour):
    order = stripe_order(tour)
    sid = _session(order)
    evt = event("checkout.session.completed", fake.pay(sid))
    body, headers = json.dumps(evt).encode(), {"Stripe-Signature": sign(json.dumps(evt), "whsec_wrong")}
    assert client.post(WEBHOOK, data=body, headers=headers).status_code == 400
    tampered = json.dumps(evt).replace('"amount_total": 17600', '"amount_total": 1').encode()
    _, good = signed(evt)
    assert client.post(WEBHOOK, data=tampered, headers=good).status_code == 400
    assert client.post(WEBHOOK, data=json.dumps(evt).encode()).status_code == 400  # no header
    assert client.post(WEBHOOK, data=b"not json", headers={"Stripe-Signature": sign("not json")}
                       ).status_code == 400
    assert reload(order).status == "pending_payment"
    assert _count(WebhookEvent) == 0


def test_stale_timestamp_is_refused(app, client, fake, tour):
    order = stripe_order(tour)
    sid = _session(order)
    evt = event("checkout.session.completed", fake.pay(sid))
    stale = int(time.time()) - app.config["STRIPE_WEBHOOK_TOLERANCE"] - 60
    assert post_event(client, evt, timestamp=stale).status_code == 400
    assert reload(order).status == "pending_payment" and _count(WebhookEvent) == 0
    assert post_event(client, evt, timestamp=int(time.time()) - 30).status_code == 200


def test_duplicate_delivery_does_nothing_more(app, client, fake, tour):
    paid = []

    def on_paid(sender, **_extra):
        paid.append(sender)

    hooks.order_paid.connect(on_paid, weak=False)
    try:
        order = stripe_order(tour)
        evt = event("checkout.session.completed", fake.pay(_session(order)))
        first = post_event(client, evt)
        second = post_event(client, evt)
    finally:
        hooks.order_paid.disconnect(on_paid)
    assert first.status_code == second.status_code == 200
    assert second.get_json()["status"] == "duplicate"
    assert len(paid) == 1
    assert _count(WebhookEvent) == 1
    assert _count(OrderEvent, order_id=order.id, to_status="paid") == 1


def test_expired_after_completed_keeps_the_order_paid(app, client, fake, tour):
    order = stripe_order(tour)
    sid = _session(order)
    session = fake.pay(sid)
    post_event(client, event("checkout.session.completed", session))
    expired = dict(session, status="expired")  # delivered late (or forged order): ignored
    assert post_event(client, event("checkout.session.expired", expired)).status_code == 200
    order = reload(order)
    assert order.status == "paid" and session_of(order).status == "succeeded"
    assert db.session.get(TourSession, tour.id).reserved == 2


def test_expired_session_releases_the_hold(app, client, fake, tour):
    order = stripe_order(tour)
    sid = _session(order)
    assert db.session.get(TourSession, tour.id).reserved == 2
    assert post_event(client, event("checkout.session.expired", fake.expire(sid))).status_code == 200
    assert reload(order).status == "expired"
    assert reload(tour).reserved == 0
    assert session_of(order).status == "cancelled"


def test_refund_before_completed_is_applied_after_the_payment(app, client, fake, tour):
    order = stripe_order(tour)
    sid = _session(order)
    session = fake.pay(sid)
    charge = fake.charge_for(sid)
    fake.intents[session["payment_intent"]]  # refunded in the Stripe dashboard, in full
    refund = fake._create_refund({"payment_intent": session["payment_intent"]})[1]
    refund = fake.settle_refund(refund["id"])
    charge = dict(fake.charges[charge["id"]], refunds={"object": "list", "data": [refund]})
    response = post_event(client, event("charge.refunded", charge))
    assert response.status_code == 200 and response.get_json()["status"] == "deferred"
    assert reload(order).status == "pending_payment"
    assert post_event(client, event("checkout.session.completed", session)).status_code == 200
    order = reload(order)
    assert order.status == "refunded"
    [ours] = db.session.query(Refund).filter_by(order_id=order.id).all()
    assert ours.status == "succeeded" and ours.amount_fen == refund["amount"] == 17600
    assert ours.provider_ref == refund["id"]
    assert all(e.processed_at is not None for e in db.session.query(WebhookEvent))


def test_unknown_event_type_is_stored_and_ignored(app, client, fake, tour):
    order = stripe_order(tour)
    response = post_event(client, event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200
    inbox = db.session.query(WebhookEvent).one()
    assert inbox.type == "customer.created" and inbox.processed_at is not None
    assert reload(order).status == "pending_payment"


def test_event_for_a_session_we_do_not_know_is_ignored(app, client, fake):
    obj = {"id": "cs_test_other", "object": "checkout.session", "payment_status": "paid",
           "amount_total": 100, "currency": "cny", "metadata": {}}
    assert post_event(client, event("checkout.session.completed", obj)).status_code == 200
    assert "ignored" in db.session.query(WebhookEvent).one().error


def test_wrong_amount_flags_the_order_and_does_not_mark_it_paid(app, client, fake, tour):
    order = stripe_order(tour)
    session = fake.pay(_session(order), amount=100)
    assert post_event(client, event("checkout.session.completed", session)).status_code == 200
    order = reload(order)
    assert order.status == "pending_payment" and order.paid_at is None
    assert "mismatch" in order.flag
    assert session_of(order).status == "needs_review"


def test_wrong_currency_flags_the_order(app, client, fake, tour):
    order = stripe_order(tour)
    session = fake.pay(_session(order), currency="usd")
    post_event(client, event("checkout.session.completed", session))
    order = reload(order)
    assert order.status == "pending_payment" and "USD" in order.flag


def test_async_payment_succeeds_later(app, client, fake, tour):
    order = stripe_order(tour)
    sid = _session(order)
    pending = fake.pay(sid, payment_status="unpaid", method="alipay")
    post_event(client, event("checkout.session.completed", pending))
    assert reload(order).status == "pending_payment"
    paid = dict(pending, payment_status="paid")
    post_event(client, event("checkout.session.async_payment_succeeded", paid))
    assert reload(order).status == "paid"
    assert session_of(order).method == "alipay"


def test_async_payment_failure_releases_the_order(app, client, fake, tour):
    order = stripe_order(tour)
    sid = _session(order)
    pending = fake.pay(sid, payment_status="unpaid", method="wechat_pay")
    post_event(client, event("checkout.session.completed", pending))
    post_event(client, event("checkout.session.async_payment_failed", pending))
    assert reload(order).status == "expired"
    assert session_of(order).status == "failed"
    assert reload(tour).reserved == 0


def test_dispute_flags_the_order(app, client, fake, tour):
    order = paid_by_stripe(client, fake, tour)
    intent = session_of(order).provider_charge_ref
    dispute = {"id": "dp_test_1", "object": "dispute", "amount": 17600, "currency": "cny",
               "payment_intent": intent, "charge": fake.intents[intent]["latest_charge"],
               "reason": "fraudulent", "status": "needs_response"}
    evt = event("charge.dispute.created", dispute)
    assert post_event(client, evt).status_code == 200
    flag = reload(order).flag
    assert "dp_test_1" in flag and "fraudulent" in flag  # not overwritten by a bare "disputed"
    inbox = db.session.query(WebhookEvent).filter_by(event_id=evt["id"]).one()
    assert inbox.processed_at is not None and "dp_test_1" in inbox.error  # listed for admins


def test_a_failing_event_is_kept_answered_500_and_retried(app, client, fake, tour, monkeypatch):
    order = stripe_order(tour)
    evt = event("checkout.session.completed", fake.pay(_session(order)))

    def broken(*_args):
        raise RuntimeError("database hiccup")

    monkeypatch.setitem(stripe_events.HANDLERS, "checkout.session.completed", broken)
    assert post_event(client, evt).status_code == 500
    inbox = db.session.query(WebhookEvent).one()
    assert inbox.processed_at is None and "hiccup" in inbox.error
    assert reload(order).status == "pending_payment"
    monkeypatch.undo()
    assert post_event(client, evt).status_code == 200  # Stripe's next delivery
    assert reload(order).status == "paid"
    assert db.session.query(WebhookEvent).one().processed_at is not None


def test_late_payment_with_the_seat_still_free_is_accepted(app, client, fake, tour):
    order = stripe_order(tour)
    session = fake.pay(_session(order))
    lifecycle.apply_expire(reload(order))
    db.session.commit()
    assert reload(tour).reserved == 0
    assert post_event(client, event("checkout.session.completed", session)).status_code == 200
    order = reload(order)
    assert order.status == "paid"
    assert reload(tour).reserved == 2
    assert not fake.requests_to("POST", "/v1/refunds")


def test_late_payment_with_the_seat_taken_is_refunded_and_the_buyer_told(app, client, fake, tour):
    order = stripe_order(tour, seats=2)
    session = fake.pay(_session(order))
    lifecycle.apply_expire(reload(order))
    db.session.commit()
    stripe_order(tour, seats=2)  # someone else takes the seats (capacity 3)
    assert post_event(client, event("checkout.session.completed", session)).status_code == 200
    order = reload(order)
    assert order.status == "cancelled" and "sold out" in order.flag  # money in, then all refunded
    [request] = fake.requests_to("POST", "/v1/refunds")
    [refund] = db.session.query(Refund).filter_by(order_id=order.id).all()
    assert request.idempotency_key == refund.idempotency_key
    assert request.params["amount"] == "17600"
    assert request.params["payment_intent"] == session["payment_intent"]
    assert request.params["metadata[refund_id]"] == str(refund.id)
    assert refund.provider_ref == fake.refunds[refund.provider_ref]["id"]
    page = client.get(f"/payments/stripe/return?session_id={session['id']}").get_data(as_text=True)
    assert "refunding your payment in full" in page
    settled = fake.settle_refund(refund.provider_ref)
    assert post_event(client, event("refund.updated", settled)).status_code == 200
    assert reload(refund).status == "succeeded"
    assert reload(order).status == "refunded"
    assert reload(tour).reserved == 2  # the other buyer keeps the seats


def test_deliver_without_http_uses_the_same_path(app, fake, tour):
    order = stripe_order(tour)
    status, note = deliver(event("checkout.session.completed", fake.pay(_session(order))))
    assert (status, note) == (200, "processed")
    assert db.session.get(Order, order.id).status == "paid"
    assert db.session.query(Payment).filter_by(order_id=order.id, status="succeeded").count() == 1


def test_concurrent_duplicate_deliveries_apply_once(app, fake, tour):
    import threading

    order = stripe_order(tour)
    evt = event("checkout.session.completed", fake.pay(_session(order)))
    db.session.remove()
    results, barrier = [], threading.Barrier(4)

    def worker():
        with app.app_context():
            barrier.wait()
            results.append(deliver(evt))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(note for _status, note in results) == ["duplicate"] * 3 + ["processed"]
    assert _count(OrderEvent, order_id=order.id, to_status="paid") == 1
    assert _count(WebhookEvent) == 1


def test_payment_is_confirmed_even_when_the_fee_is_not_available(app, client, fake, tour):
    order = stripe_order(tour)
    session = fake.pay(_session(order))
    fake.fail_next("/v1/payment_intents", "timeout")
    assert post_event(client, event("checkout.session.completed", session)).status_code == 200
    assert reload(order).status == "paid"
    assert session_of(order).fee_fen is None
    assert len(fake.requests_to("GET", "/v1/payment_intents")) == 1  # no retries inside the webhook


def test_a_wrong_amount_records_what_stripe_actually_charged(app, client, fake, tour):
    order = stripe_order(tour)
    session = fake.pay(_session(order), amount=9900, currency="hkd")
    post_event(client, event("checkout.session.completed", session))
    payment = session_of(order)
    assert (payment.amount_fen, payment.currency, payment.status) == (9900, "HKD", "needs_review")
    inbox = db.session.query(WebhookEvent).one()
    assert "mismatch" in inbox.error  # listed for admins


def test_an_async_failure_leaves_the_order_to_a_newer_attempt(app, client, fake, tour):
    order = stripe_order(tour)
    sid = _session(order)
    pending = fake.pay(sid, payment_status="unpaid", method="alipay")
    post_event(client, event("checkout.session.completed", pending))
    newer = Payment(order_id=order.id, provider="stripe", attempt=2, status="pending",
                    idempotency_key=f"market-checkout-{order.id}-2", provider_ref="cs_test_newer",
                    amount_fen=order.total_fen, currency=order.currency)
    db.session.add(newer)  # the buyer is paying again on another page
    db.session.commit()
    post_event(client, event("checkout.session.async_payment_failed", pending))
    assert db.session.query(Payment).filter_by(provider_ref=sid).one().status == "failed"
    assert reload(order).status == "pending_payment"
    assert reload(tour).reserved == 2
