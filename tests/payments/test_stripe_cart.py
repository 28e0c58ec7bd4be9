# ruff: noqa: F405
"""One Stripe payment for a whole cart: a cart from three homes becomes three orders (one per
home, one sale entry per home), paid by ONE Checkout Session; refunds of one order go against
the one PaymentIntent, partial, each with its own key."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from market.ledger.allocation import split_line
from market.orders import cart as carts
from market.orders import lifecycle, tokens
from market.orders.checkout import Contact, checkout
from market.orders.tokens import new_form_token
from models import JournalEntry, Order, Payment, Posting, Refund, WebhookEvent, db, utcnow
from tests.conftest import post_form
from tests.factories import cancel, check_out_on_page, end_hold
from tests.payments.stripe_fixtures import *  # noqa: F403 - fixtures fake, tour and helpers

pytestmark = pytest.mark.usefixtures("english")

PRICES = (8800, 5000, 12345)
CARE = (1500, 2000, 1750)


@pytest.fixture
def three_homes(make):
    """Three tours, one per home, each home with its own care share."""
    sessions = []
    for price, care in zip(PRICES, CARE, strict=True):
        home = make.home(care_share_bps=care)
        listing = make.listing(home, "tour", price_fen=price)
        sessions.append(make.session(listing, capacity=5))
    db.session.commit()
    return sessions


def _cart_orders(sessions, seats=2) -> list[Order]:
    owner = f"s:{new_form_token()}"
    for tour_session in sessions:
        carts.add_to_cart(owner, tour_session.listing_id, quantity=str(seats),
                          session_id=str(tour_session.id))
    db.session.commit()
    review = carts.review_cart(owner)
    contact = Contact(name="Ann Buyer", phone="13800138000", email="buyer@example.com")
    return checkout(owner, contact, new_form_token(), review.total_fen, provider_name="stripe", locale="en")


def _payments(orders) -> list[Payment]:
    db.session.expire_all()
    return [session_of(order) for order in orders]


def _paid_cart(client, fake, sessions) -> tuple[list[Order], str]:
    orders = _cart_orders(sessions)
    result = start(orders[1])  # any order of the cart starts the payment of all
    assert result.redirect_url, result.instructions
    session_id = session_of(orders[0]).provider_ref
    assert post_event(client, event("checkout.session.completed", fake.pay(session_id))).status_code == 200
    db.session.expire_all()
    return [db.session.get(Order, o.id) for o in orders], session_id


def test_a_cart_from_three_homes_is_paid_by_one_checkout_session(app, fake, three_homes):
    orders = _cart_orders(three_homes)
    assert len(orders) == 3 and len({o.home_id for o in orders}) == 3
    result = start(orders[0])
    [request] = fake.requests_to("POST", "/v1/checkout/sessions")
    payments = _payments(orders)
    key = payments[0].group_key
    assert key and request.idempotency_key == key
    assert {p.group_key for p in payments} == {key}
    assert len({p.provider_ref for p in payments}) == 1 and result.redirect_url
    assert [p.amount_fen for p in payments] == [o.total_fen for o in orders] == [2 * p for p in PRICES]
    p = request.params
    assert [p[f"line_items[{i}][price_data][unit_amount]"] for i in range(3)] == [str(x) for x in PRICES]
    assert p["metadata[payment_group]"] == key == p["client_reference_id"]
    assert p["metadata[order_ids]"] == ",".join(str(o.id) for o in orders)
    assert fake.sessions[payments[0].provider_ref]["amount_total"] == 2 * sum(PRICES)
    # Every order's hold is the session's expiry; pressing "Pay now" on another reuses the session.
    assert len({reload(o).hold_expires_at for o in orders}) == 1
    assert start(reload(orders[2])).redirect_url == result.redirect_url
    assert len(fake.requests_to("POST", "/v1/checkout/sessions")) == 1


def test_paid_once_three_orders_paid_three_sale_entries_and_each_homes_care_share(
        app, client, fake, three_homes):
    orders, session_id = _paid_cart(client, fake, three_homes)
    assert [o.status for o in orders] == ["paid"] * 3
    payments = _payments(orders)
    assert {p.status for p in payments} == {"succeeded"}
    assert len({p.provider_charge_ref for p in payments}) == 1
    for order, care_bps in zip(orders, CARE, strict=True):
        [entry] = db.session.scalars(select(JournalEntry).where(
            JournalEntry.order_id == order.id, JournalEntry.kind == "sale")).all()
        assert entry.home_id == order.home_id
        assert sum(p.amount for p in entry.postings) == 0
        booked = -sum(p.amount for p in entry.postings if p.share == "care")
        line = order.lines[0]
        rates = (care_bps, line.incentive_bps, line.platform_fee_bps)
        assert booked == split_line(line.amount_fen, *rates)["care"]
    # Stripe's fee for the one charge is shared out and adds up to it.
    charge = fake.charge_for(session_id)
    fee = fake.balance_transactions[charge["balance_transaction"]]["fee"]
    assert sum(p.fee_fen for p in payments) == fee
    assert app.test_cli_runner().invoke(args=["ledger", "verify"]).exit_code == 0


def test_a_replayed_webhook_changes_nothing(app, client, fake, three_homes):
    orders, session_id = _paid_cart(client, fake, three_homes)
    entries = db.session.scalar(select(func.count(JournalEntry.id)))
    again = event("checkout.session.completed", fake.sessions[session_id])
    assert post_event(client, again).status_code == 200
    assert post_event(client, again).status_code == 200  # the very same event id, twice
    assert post_event(client, event("checkout.session.async_payment_succeeded",
                                    fake.sessions[session_id])).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(func.count(JournalEntry.id))) == entries
    assert [reload(o).status for o in orders] == ["paid"] * 3
    assert all(reload(o).flag is None for o in orders)


def test_refunding_one_homes_order_refunds_only_its_amount_against_the_one_intent(
        app, client, fake, three_homes):
    orders, session_id = _paid_cart(client, fake, three_homes)
    intent = fake.sessions[session_id]["payment_intent"]
    cancel(orders[1])
    [refund] = db.session.query(Refund).filter_by(order_id=orders[1].id).all()
    [request] = fake.requests_to("POST", "/v1/refunds")
    assert request.params["payment_intent"] == intent
    assert request.params["amount"] == str(orders[1].total_fen) == str(2 * PRICES[1])
    assert request.idempotency_key == refund.idempotency_key
    settled = fake.settle_refund(refund.provider_ref)
    assert post_event(client, event("refund.updated", settled)).status_code == 200
    assert [reload(o).status for o in orders] == ["paid", "refunded", "paid"]
    assert reload(refund).status == "succeeded"
    # One line of another home's order: a second partial refund, its own key.
    line = reload(orders[2]).lines[0]
    second = lifecycle.refund_lines(reload(orders[2]), actor=None, requests={line.id: ("1", "")},
                                    reason="one seat less", token=tokens.new_form_token())
    requests = fake.requests_to("POST", "/v1/refunds")
    assert len(requests) == 2 and requests[1].params["amount"] == str(PRICES[2])
    assert requests[1].idempotency_key == second.idempotency_key != refund.idempotency_key
    post_event(client, event("refund.updated", fake.settle_refund(second.provider_ref)))
    assert reload(orders[2]).status == "partially_refunded"
    assert reload(orders[0]).status == "paid" and reload(orders[0]).lines[0].refunded_fen == 0
    assert fake.charge_for(session_id)["amount_refunded"] == 2 * PRICES[1] + PRICES[2]
    since = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%d")
    result = app.test_cli_runner().invoke(args=["payments", "reconcile", "--since", since])
    assert result.exit_code == 0, result.output
    assert app.test_cli_runner().invoke(args=["ledger", "verify"]).exit_code == 0


def test_a_group_with_one_ended_hold_pays_the_others_and_handles_that_one(app, client, fake, make):
    home_a, home_b = make.home(), make.home()
    roomy = make.session(make.listing(home_a, "tour", price_fen=8800), capacity=5)
    scarce = make.session(make.listing(home_b, "tour", price_fen=5000), capacity=2)
    db.session.commit()
    orders = _cart_orders([roomy, scarce])
    start(orders[0])
    session_id = session_of(orders[0]).provider_ref
    paid = fake.pay(session_id)
    # Meanwhile the second order's hold ends and someone else takes its seats.
    end_hold(orders[1])
    lifecycle.release_ended_holds(utcnow())
    db.session.commit()
    assert reload(orders[1]).status == "expired"
    carts.add_to_cart("s:other", scarce.listing_id, quantity="2", session_id=str(scarce.id))
    db.session.commit()
    other = checkout("s:other", Contact(name="Bo", phone="13800138001"), new_form_token(),
                     carts.review_cart("s:other").total_fen)
    assert other
    assert post_event(client, event("checkout.session.completed", paid)).status_code == 200
    first, second = reload(orders[0]), reload(orders[1])
    assert first.status == "paid"
    assert second.status == "cancelled" and second.flag
    [late] = db.session.query(Refund).filter_by(order_id=second.id).all()
    [request] = fake.requests_to("POST", "/v1/refunds")
    assert request.params["amount"] == "10000" and request.params["payment_intent"] == paid["payment_intent"]
    assert late.initiated_by == "market"


def test_a_group_session_that_expires_releases_every_order(app, client, fake, three_homes):
    orders = _cart_orders(three_homes)
    start(orders[0])
    session_id = session_of(orders[0]).provider_ref
    assert post_event(client, event("checkout.session.expired", fake.expire(session_id))).status_code == 200
    assert [reload(o).status for o in orders] == ["expired"] * 3


def test_cancelling_one_order_keeps_the_others_payable_by_a_new_session(app, client, fake, three_homes):
    orders = _cart_orders(three_homes)
    first = start(orders[0])
    cancel(reload(orders[1]))
    assert not fake.requests_to("POST", "/v1/checkout/sessions/")  # the open session is not closed
    assert [reload(o).status for o in orders] == ["pending_payment", "cancelled", "pending_payment"]
    again = start(reload(orders[0]))
    assert again.redirect_url != first.redirect_url
    [_old, new] = [r for r in fake.requests_to("POST", "/v1/checkout/sessions")
                   if r.path == "/v1/checkout/sessions"]
    assert new.params["metadata[order_ids]"] == f"{orders[0].id},{orders[2].id}"
    assert len(fake.requests_to("POST", "/v1/checkout/sessions/")) == 1  # the old one is expired
    old_id = _old_session(fake, first)
    # Its expiry releases nobody; the new session pays the two orders left.
    post_event(client, event("checkout.session.expired", fake.sessions[old_id]))
    assert [reload(o).status for o in orders] == ["pending_payment", "cancelled", "pending_payment"]
    new_id = session_of(orders[0]).provider_ref
    post_event(client, event("checkout.session.completed", fake.pay(new_id)))
    assert [reload(o).status for o in orders] == ["paid", "cancelled", "paid"]


def _old_session(fake, result) -> str:
    return next(sid for sid, s in fake.sessions.items() if s["url"] == result.redirect_url)


def test_a_group_paid_a_wrong_amount_is_given_back_in_full(app, client, fake, three_homes):
    orders = _cart_orders(three_homes)
    start(orders[0])
    session_id = session_of(orders[0]).provider_ref
    post_event(client, event("checkout.session.completed", fake.pay(session_id, amount=100)))
    payments = _payments(orders)
    assert {p.status for p in payments} == {"needs_review"}
    assert sum(p.amount_fen for p in payments) == 100
    assert [reload(o).status for o in orders] == ["pending_payment"] * 3
    assert sum(int(r.params["amount"]) for r in fake.requests_to("POST", "/v1/refunds")) == 100
    assert not db.session.scalar(select(func.count(JournalEntry.id)).where(JournalEntry.kind == "sale"))


def test_a_dashboard_refund_of_a_whole_carts_payment_is_for_a_person(app, client, fake, three_homes):
    orders, session_id = _paid_cart(client, fake, three_homes)
    made = fake.dashboard_refund(session_id, amount=500)
    assert post_event(client, event("refund.updated", made)).status_code == 200
    assert all("outside the market" in reload(o).flag for o in orders)
    assert not db.session.query(Refund).count()
    inbox = db.session.scalar(select(WebhookEvent).order_by(WebhookEvent.id.desc()).limit(1))
    assert inbox.processed_at is not None


def test_cart_checkout_and_placed_page_say_one_payment(app, fake, client, make):
    homes = [make.home(name_en=f"Home {n}") for n in "ABC"]
    for home in homes:
        listing = make.listing(home, "tour", price_fen=8800)
        tour_session = make.session(listing)
        post_form(client, "/cart/add", {"listing_id": listing.id, "session_id": tour_session.id,
                                        "quantity": "1"}, form_url=f"/listings/{listing.slug}")
    for url in ("/cart", "/checkout"):
        page = client.get(url).get_data(as_text=True)
        assert "Paying online: one payment covers all 3 orders." in page, url
        assert "Paying the homes directly: 3 payments, one to each home." in page, url
    response, _token = check_out_on_page(client, provider="stripe")
    assert response.status_code == 302, response.get_data(as_text=True)
    placed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "One online payment covers them all." in placed
    assert "Pay all 3 orders at once: CN¥264.00" in placed
    order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
    detail = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "One payment covers your 3 orders from this cart" in detail


def test_offline_stays_one_payment_per_home(app, client, make):
    for name in "AB":
        listing = make.listing(make.home(name_en=f"Home {name}"), "tour", price_fen=8800)
        tour_session = make.session(listing)
        post_form(client, "/cart/add", {"listing_id": listing.id, "session_id": tour_session.id,
                                        "quantity": "1"}, form_url=f"/listings/{listing.slug}")
    page = client.get("/cart").get_data(as_text=True)
    assert "you make 2 payments, one to each home" in page
    assert "one payment covers" not in page


def test_postings_of_the_group_balance(app, client, fake, three_homes):
    orders, _sid = _paid_cart(client, fake, three_homes)
    total = db.session.scalar(select(func.sum(Posting.amount)).join(JournalEntry).where(
        JournalEntry.order_id.in_([o.id for o in orders])))
    assert total == 0


def test_an_asynchronous_group_payment_pays_all_when_it_succeeds(app, client, fake, three_homes):
    orders = _cart_orders(three_homes)
    start(orders[0])
    session_id = session_of(orders[0]).provider_ref
    waiting = fake.pay(session_id, payment_status="unpaid", method="alipay")
    post_event(client, event("checkout.session.completed", waiting))
    assert [reload(o).status for o in orders] == ["pending_payment"] * 3
    post_event(client, event("checkout.session.async_payment_succeeded", fake.succeed(session_id)))
    assert [reload(o).status for o in orders] == ["paid"] * 3


def test_an_asynchronous_group_payment_that_fails_ends_every_order(app, client, fake, three_homes):
    orders = _cart_orders(three_homes)
    start(orders[0])
    session_id = session_of(orders[0]).provider_ref
    waiting = fake.pay(session_id, payment_status="unpaid", method="alipay")
    post_event(client, event("checkout.session.completed", waiting))
    post_event(client, event("checkout.session.async_payment_failed", waiting))
    assert [reload(o).status for o in orders] == ["expired"] * 3
    assert {p.status for p in _payments(orders)} == {"failed"}


def test_shipping_is_its_own_line_item_for_one_order_and_for_a_whole_cart(app, client, fake, make):
    """Each home-order's shipping is one Checkout line item of its own (single order and whole
    cart alike); paid, it is booked to the home's operations with no care share."""
    from models import ShippingRate

    homes = [make.home(), make.home()]
    for home, fee in zip(homes, (800, 1500), strict=True):
        db.session.add(ShippingRate(home_id=home.id, province=None, fee_fen=fee, days_min=2, days_max=4))
    goods = [make.listing(home, "produce", price_fen=3000) for home in homes]
    owner = f"s:{new_form_token()}"
    for listing in goods:
        carts.add_to_cart(owner, listing.id, quantity="2")
    db.session.commit()
    contact = Contact(name="Ann Buyer", phone="13800138000", email="buyer@example.com", province="北京市",
                      city="北京", district="朝阳区", street="幸福路1号")
    total = carts.review_cart(owner, province="北京市").total_fen
    assert total == 2 * 6000 + 800 + 1500
    orders = checkout(owner, contact, new_form_token(), total, provider_name="stripe", locale="en")
    assert [o.total_fen for o in orders] == [6800, 7500]
    start(orders[0])
    [request] = fake.requests_to("POST", "/v1/checkout/sessions")
    p = request.params
    items = [(p[f"line_items[{i}][price_data][product_data][name]"], p[f"line_items[{i}][quantity]"],
              p[f"line_items[{i}][price_data][unit_amount]"]) for i in range(4)]
    assert [item[1:] for item in items] == [("2", "3000"), ("1", "800"), ("2", "3000"), ("1", "1500")]
    assert items[1][0] == items[3][0] == "Shipping"
    session_id = session_of(orders[0]).provider_ref
    assert fake.sessions[session_id]["amount_total"] == total
    assert post_event(client, event("checkout.session.completed", fake.pay(session_id))).status_code == 200
    db.session.expire_all()
    assert {db.session.get(Order, o.id).status for o in orders} == {"paid"}
    shipped = db.session.execute(select(Posting.amount).where(Posting.share == "shipping")
                                 .order_by(Posting.id)).scalars().all()
    assert shipped == [-800, -1500]
