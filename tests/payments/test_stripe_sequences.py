# ruff: noqa: F405
"""Every Stripe story end to end, through the webhook endpoint and the validating fake at the
pinned API version, with the books checked after each: `flask ledger verify` passes, and the
money the ledger holds as received (payments clearing) equals what Stripe kept (paid minus
refunds settled and disputes lost)."""

from datetime import timedelta

import pytest

from market.ledger import service as ledger
from market.ledger.verify import verify_ledger
from market.orders import lifecycle, tokens
from models import Dispute, Refund, WebhookEvent, db, utcnow
from tests.factories import cancel, paid_by_stripe, stripe_order
from tests.payments.stripe_fixtures import *  # noqa: F403 - fixtures fake, tour and helpers

pytestmark = pytest.mark.usefixtures("english")


def _books_agree(fake, not_in_the_books: int = 0) -> None:
    """`not_in_the_books`: money Stripe holds that never entered our books (being returned)."""
    report = verify_ledger()
    assert report.ok, [str(p) for p in report.problems]
    kept = sum(c["amount"] for c in fake.charges.values() if c["paid"])
    kept -= sum(r["amount"] for r in fake.refunds.values() if r["status"] == "succeeded")
    kept -= sum(d["amount"] for d in fake.disputes.values() if d["status"] == "lost")
    assert ledger.platform_balances().get("payments_clearing", 0) == kept - not_in_the_books
    assert all(e.processed_at is not None for e in db.session.query(WebhookEvent)), "an event still waits"


def _paid(client, fake, tour, seats=2):
    order = paid_by_stripe(client, fake, tour, seats)
    return order, session_of(order).provider_ref


def test_card(app, client, fake, tour):
    order, sid = _paid(client, fake, tour)
    assert order.status == "paid" and session_of(order).fee_fen == 17600 * 340 // 10000
    _books_agree(fake)


def test_async_method_unpaid_at_completion_then_succeeded(app, client, fake, tour):
    order = stripe_order(tour)
    start(order)
    sid = session_of(order).provider_ref
    post_event(client, event("checkout.session.completed", fake.pay(sid, payment_status="unpaid",
                                                                       method="alipay")))
    assert reload(order).status == "pending_payment"
    _books_agree(fake)
    post_event(client, event("checkout.session.async_payment_succeeded", fake.succeed(sid)))
    assert reload(order).status == "paid" and session_of(order).method == "alipay"
    _books_agree(fake)


def test_async_method_unpaid_at_completion_then_failed(app, client, fake, tour):
    order = stripe_order(tour)
    start(order)
    sid = session_of(order).provider_ref
    pending = fake.pay(sid, payment_status="unpaid", method="wechat_pay")
    post_event(client, event("checkout.session.completed", pending))
    post_event(client, event("checkout.session.async_payment_failed", pending))
    assert reload(order).status == "expired" and session_of(order).status == "failed"
    assert reload(tour).reserved == 0
    _books_agree(fake)


def test_expiry(app, client, fake, tour):
    order = stripe_order(tour)
    start(order)
    post_event(client, event("checkout.session.expired", fake.expire(session_of(order).provider_ref)))
    assert reload(order).status == "expired" and reload(tour).reserved == 0
    _books_agree(fake)


def test_dashboard_full_refund(app, client, fake, tour):
    order, sid = _paid(client, fake, tour)
    refund = fake.settle_refund(fake.dashboard_refund(sid)["id"])
    assert post_event(client, event("refund.created", refund)).status_code == 200
    order = reload(order)
    assert order.status == "refunded" and "outside the market" in order.flag
    _books_agree(fake)


def test_dashboard_partial_refund_is_booked_in_proportion_and_the_fund_gives_back_its_share(app, client, fake,
                                                                                           tour):
    order, sid = _paid(client, fake, tour)
    care_before = ledger.home_balances(order.home_id).get("care_fund:pending", 0)
    pending = fake.dashboard_refund(sid, amount=5000)
    post_event(client, event("refund.created", pending))  # not settled yet: nothing booked
    assert reload(order).status == "paid" and "outside the market" in reload(order).flag
    _books_agree(fake)
    post_event(client, event("refund.updated", fake.settle_refund(pending["id"])))
    order = reload(order)
    assert order.status == "partially_refunded" and sum(line.refunded_fen for line in order.lines) == 5000
    care_after = ledger.home_balances(order.home_id).get("care_fund:pending", 0)
    given_back = care_before - care_after  # the fund's share of 5000 of the 17600 paid, within a fen
    assert given_back > 0 and abs(given_back * 17600 - care_before * 5000) < 17600
    _books_agree(fake)
    since = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%d")
    result = app.test_cli_runner().invoke(args=["payments", "reconcile", "--since", since])
    assert result.exit_code == 0, result.output


def test_dashboard_refund_of_more_than_is_left_is_left_to_a_person(app, client, fake, tour, make):
    order, sid = _paid(client, fake, tour)
    staff = make.member(order.home)
    refund = lifecycle.refund_lines(order, actor=staff, requests={order.lines[0].id: ("1", "")},
                                    reason="one seat stayed empty", token=tokens.new_form_token())
    post_event(client, event("refund.updated", fake.settle_refund(reload(refund).provider_ref)))
    fake.charges[fake.charge_for(sid)["id"]]["amount_refunded"] = 0  # the dashboard lets it through
    outside = fake.settle_refund(fake.dashboard_refund(sid, amount=10000)["id"])
    post_event(client, event("refund.updated", outside))
    order = reload(order)
    assert order.status == "partially_refunded" and order.lines[0].refunded_fen == 8800
    assert f"{outside['id']} (10000) was made outside the market" in order.flag
    assert verify_ledger().ok


def test_staff_line_refund(app, client, fake, tour, make):
    order, sid = _paid(client, fake, tour)
    staff = make.member(order.home)
    refund = lifecycle.refund_lines(order, actor=staff, requests={order.lines[0].id: ("1", "")},
                                    reason="one seat stayed empty", token=tokens.new_form_token())
    assert refund.status == "pending" and reload(order).status == "paid"
    _books_agree(fake)  # asked, not yet refunded: nothing reversed
    settled = fake.settle_refund(reload(refund).provider_ref)
    post_event(client, event("refund.updated", settled))
    order = reload(order)
    assert order.status == "partially_refunded" and order.lines[0].refunded_fen == 8800
    _books_agree(fake)


def test_alipay_style_refund_pending_then_succeeded(app, client, fake, tour):
    order = stripe_order(tour)
    start(order)
    sid = session_of(order).provider_ref
    post_event(client, event("checkout.session.completed", fake.pay(sid, method="alipay")))
    cancel(reload(order))
    refund = db.session.query(Refund).filter_by(order_id=order.id).one()
    pending = fake.refunds[refund.provider_ref]
    assert post_event(client, event("refund.updated", dict(pending))).status_code == 200
    assert reload(refund).status == "pending" and reload(order).status == "cancelled"
    with client.session_transaction() as browser:
        browser["guest_orders"] = [order.reference]
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "Refund requested" in page
    _books_agree(fake)
    post_event(client, event("charge.refund.updated", fake.settle_refund(refund.provider_ref)))
    assert reload(refund).status == "succeeded" and reload(order).status == "refunded"
    assert "Refund requested" not in client.get(f"/orders/{order.reference}").get_data(as_text=True)
    _books_agree(fake)


def test_dispute_opened_then_lost_reverses_like_a_refund(app, client, fake, tour):
    order, sid = _paid(client, fake, tour)
    care_before = ledger.home_balances(order.home_id).get("care_fund:pending", 0)
    opened = fake.dispute(sid)
    assert post_event(client, event("charge.dispute.created", opened)).status_code == 200
    dispute = db.session.query(Dispute).one()
    assert dispute.status == "open" and opened["id"] in reload(order).flag
    _books_agree(fake)  # nothing decided yet
    lost = fake.close_dispute(opened["id"], "lost")
    assert post_event(client, event("charge.dispute.closed", lost)).status_code == 200
    dispute, order = reload(dispute), reload(order)
    assert dispute.status == "lost" and dispute.refund_id is not None
    assert order.status == "refunded" and "lost" in order.flag
    assert db.session.get(Refund, dispute.refund_id).initiated_by == "dispute"
    assert care_before > 0 and ledger.home_balances(order.home_id).get("care_fund:pending", 0) == 0
    _books_agree(fake)
    post_event(client, event("charge.dispute.closed", lost))  # delivered again: nothing more
    assert db.session.query(Refund).count() == 1
    _books_agree(fake)
    since = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%d")
    result = app.test_cli_runner().invoke(args=["payments", "reconcile", "--since", since])
    assert result.exit_code == 0, result.output


def test_dispute_won_clears_the_flag(app, client, fake, tour):
    order, sid = _paid(client, fake, tour)
    opened = fake.dispute(sid)
    post_event(client, event("charge.dispute.created", opened))
    post_event(client, event("charge.dispute.updated", dict(opened, status="under_review")))
    assert reload(order).flag and db.session.query(Dispute).one().provider_status == "under_review"
    post_event(client, event("charge.dispute.closed", fake.close_dispute(opened["id"], "won")))
    order = reload(order)
    assert order.flag is None and order.status == "paid"
    assert db.session.query(Dispute).one().status == "won"
    _books_agree(fake)


def test_refund_before_payment(app, client, fake, tour):
    order = stripe_order(tour)
    start(order)
    session = fake.pay(session_of(order).provider_ref)
    refund = fake.settle_refund(fake.dashboard_refund(session["id"])["id"])
    assert post_event(client, event("refund.updated", refund)).get_json()["status"] == "deferred"
    post_event(client, event("checkout.session.completed", session))
    assert reload(order).status == "refunded"
    _books_agree(fake)


def test_duplicates(app, client, fake, tour):
    order = stripe_order(tour)
    start(order)
    session = fake.pay(session_of(order).provider_ref)
    completed = event("checkout.session.completed", session)
    for evt in (completed, completed, event("checkout.session.completed", session)):
        assert post_event(client, evt).status_code == 200
    assert reload(order).status == "paid"
    assert len(fake.requests_to("GET", "/v1/payment_intents")) == 1  # the fee fetched once
    _books_agree(fake)


def test_wrong_amount_is_refunded_and_the_order_is_not_paid(app, client, fake, tour):
    order = stripe_order(tour)
    start(order)
    sid = session_of(order).provider_ref
    session = fake.pay(sid, amount=100)
    post_event(client, event("checkout.session.completed", session))
    payment, order = session_of(order), reload(order)
    assert payment.status == "needs_review" and order.status == "pending_payment"
    [request] = fake.requests_to("POST", "/v1/refunds")  # sent after the webhook's response
    assert request.params["amount"] == "100" and request.idempotency_key == f"mismatch-{payment.id}"
    page = client.get(f"/payments/stripe/return?session_id={sid}").get_data(as_text=True)
    assert "giving it all back" in page
    _books_agree(fake, not_in_the_books=100)
    settled = fake.settle_refund(next(iter(fake.refunds)))
    post_event(client, event("refund.updated", settled))
    assert session_of(order).status == "returned"
    _books_agree(fake)
    since = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%d")
    result = app.test_cli_runner().invoke(args=["payments", "reconcile", "--since", since])
    assert result.exit_code == 0, result.output  # returned in full: nothing differs
    order.hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    lifecycle.expire_due(utcnow())
    assert reload(order).status == "expired"
    _books_agree(fake)


def test_reconcile_reports_a_dispute_we_never_heard_of(app, client, fake, tour):
    order, sid = _paid(client, fake, tour)
    dispute = fake.dispute(sid)  # its webhook never arrived
    since = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%d")
    result = app.test_cli_runner().invoke(args=["payments", "reconcile", "--since", since])
    assert result.exit_code == 1 and f"dispute {dispute['id']}" in result.output
    assert "no dispute of ours" in result.output
    post_event(client, event("charge.dispute.created", dispute))
    post_event(client, event("charge.dispute.closed", fake.close_dispute(dispute["id"], "lost")))
    result = app.test_cli_runner().invoke(args=["payments", "reconcile", "--since", since])
    assert result.exit_code == 0, result.output
