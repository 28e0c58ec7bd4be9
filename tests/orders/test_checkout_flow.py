"""Cart → checkout → order, through the pages and the service."""

import re

from sqlalchemy import func, select

from market.orders import cart as carts
from market.orders import checkout as checkouts
from market.orders import errors as order_errors
from market.orders import tokens
from models import CartItem, Order, OrderEvent, TourSession, db
from tests.conftest import login, post_form
from tests.factories import CONTACT, buy, stay_dates

CHECKOUT = {"contact_name": "李明", "contact_phone": "13812345678", "contact_email": "",
            "provider": "offline"}


def _add(client, listing, **data):
    return post_form(client, "/cart/add", {"listing_id": listing.id, **data},
                     form_url=f"/listings/{listing.slug}")


def _checkout_fields(client) -> dict:
    page = client.get("/checkout").get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="([0-9a-f]+)"', page).group(1)
    total = re.search(r'name="expected_total"[^>]*value="(\d+)"', page).group(1)
    return {"token": token, "expected_total": total}


def test_tour_stay_and_goods_in_one_cart_make_one_order_per_home(client, make):
    home_a, home_b = make.home(), make.home()
    tour = make.listing(home_a, "tour", price_fen=8000)
    tour_session = make.session(tour, capacity=5)
    stay = make.listing(home_b, "homestay", price_fen=18800)
    room = make.room(stay, nightly_price_fen=18800, max_guests=2)
    rice = make.listing(home_b, "produce", price_fen=3000, stock=10)
    check_in, check_out = stay_dates(nights=3)

    assert _add(client, tour, session_id=tour_session.id, quantity="2").status_code == 302
    assert _add(client, stay, room_id=room.id, check_in=check_in.isoformat(),
                check_out=check_out.isoformat(), guests="2").status_code == 302
    assert _add(client, rice, quantity="4").status_code == 302
    cart = client.get("/cart").get_data(as_text=True)
    assert "564.00" in cart  # three nights summed

    fields = _checkout_fields(client)
    response = post_form(client, "/checkout", {**CHECKOUT, **fields, "ship_province": "北京市",
                                               "ship_city": "北京", "ship_district": "朝阳区",
                                               "ship_street": "幸福路1号"}, form_url="/checkout")
    page = response.get_data(as_text=True)
    assert response.status_code == 302, re.findall(r"(?:alert|status)\">([^<]*)<", page)
    orders = list(db.session.scalars(select(Order).order_by(Order.id)))
    assert [o.home_id for o in orders] == [home_a.id, home_b.id]
    assert orders[0].total_fen == 16000
    assert orders[1].total_fen == 3 * 18800 + 4 * 3000
    assert orders[0].ship_province is None and orders[1].ship_province == "北京市"
    assert db.session.get(TourSession, tour_session.id).reserved == 2
    db.session.refresh(rice)
    assert rice.reserved == 4
    assert db.session.scalar(select(func.count(CartItem.id))) == 0
    assert all(o.events[0].to_status == "pending_payment" for o in orders)
    # The guest sees both orders through the session.
    mine = client.get("/orders").get_data(as_text=True)
    assert orders[0].reference in mine and orders[1].reference in mine


def test_resubmitted_checkout_form_makes_one_order(client, make):
    listing = make.listing(make.home(), "produce", stock=10)
    _add(client, listing, quantity="1")
    fields = _checkout_fields(client)
    data = {**CHECKOUT, **fields, "ship_province": "北京市", "ship_city": "北京",
            "ship_district": "东城区", "ship_street": "一号"}
    first = post_form(client, "/checkout", data, form_url="/checkout")
    second = post_form(client, "/checkout", data, form_url="/orders")  # the cart is empty now
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(select(func.count(Order.id))) == 1
    db.session.refresh(listing)
    assert listing.reserved == 1


def test_price_change_is_shown_before_confirming(client, make):
    listing = make.listing(make.home(), "craft", price_fen=5000, stock=10)
    _add(client, listing, quantity="2")
    fields = _checkout_fields(client)
    listing.price_fen = 6000
    db.session.commit()
    response = post_form(client, "/checkout", {**CHECKOUT, **fields, "ship_province": "北京市",
                                               "ship_city": "北京", "ship_district": "东城区",
                                               "ship_street": "一号"}, form_url="/checkout")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "120.00" in page and "100.00" in page
    assert db.session.scalar(select(func.count(Order.id))) == 0
    db.session.refresh(listing)
    assert listing.reserved == 0


def test_tampered_total_is_refused(client, make):
    listing = make.listing(make.home(), "tour", price_fen=5000)
    tour_session = make.session(listing)
    _add(client, listing, session_id=tour_session.id, quantity="1")
    fields = _checkout_fields(client)
    fields["expected_total"] = "1"
    response = post_form(client, "/checkout", {**CHECKOUT, **fields}, form_url="/checkout")
    assert response.status_code == 409
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_sold_out_at_confirm_reserves_nothing_and_names_the_item(app, make):
    home = make.home()
    tour = make.listing(home, "tour", title_zh="红色故事", title_en="Red stories")
    tour_session = make.session(tour, capacity=2)
    rice = make.listing(home, "produce", title_zh="大米", title_en="Rice", stock=5)
    owner = "s:test"
    carts.add_to_cart(owner, tour.id, session_id=tour_session.id, quantity="1")
    carts.add_to_cart(owner, rice.id, quantity="2")
    review = carts.review_cart(owner)
    # Someone else takes the last seats in between.
    tour_session.reserved = 2
    db.session.commit()
    try:
        checkouts.checkout(owner, CONTACT, tokens.new_form_token(), review.total_fen)
    except order_errors.OrderError as error:
        assert "红色故事" in str(error)
    else:
        raise AssertionError("checkout should fail")
    db.session.expire_all()
    assert db.session.get(type(rice), rice.id).reserved == 0
    assert db.session.scalar(select(func.count(Order.id))) == 0
    assert db.session.scalar(select(func.count(OrderEvent.id))) == 0


def test_guest_cart_merges_into_account_at_login(client, make):
    user = make.user()
    listing = make.listing(make.home(), "produce", stock=10)
    _add(client, listing, quantity="3")
    login(client, user)
    items = list(db.session.scalars(select(CartItem)))
    assert [(i.owner, i.quantity) for i in items] == [(f"u:{user.id}", 3)]
    assert "Item" in client.get("/cart").get_data(as_text=True) or "商品" in client.get("/cart").get_data(
        as_text=True)


def test_logged_in_buyer_sees_own_orders(client, make):
    user = make.user()
    login(client, user)
    listing = make.listing(make.home(), "tour")
    tour_session = make.session(listing)
    _add(client, listing, session_id=tour_session.id, quantity="1")
    fields = _checkout_fields(client)
    response = post_form(client, "/checkout", {**CHECKOUT, **fields}, form_url="/checkout")
    assert response.status_code == 302
    order = db.session.scalar(select(Order))
    assert order.user_id == user.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert order.reference in page


def test_guest_finds_order_by_reference_and_phone(client, make, app):
    listing = make.listing(make.home(), "tour")
    tour_session = make.session(listing)
    [order] = buy("s:other", listing_id=listing.id, session_id=tour_session.id, quantity="1")
    assert client.get(f"/orders/{order.reference}").status_code == 404
    wrong = post_form(client, "/orders/lookup", {"reference": order.reference, "phone": "13900000000"},
                      form_url="/orders")
    assert wrong.status_code == 404
    right = post_form(client, "/orders/lookup", {"reference": order.reference, "phone": "138 1234 5678"},
                      form_url="/orders")
    assert right.status_code == 302
    assert client.get(f"/orders/{order.reference}").status_code == 200


def test_order_placed_mail_is_in_both_languages(app, make):
    from market import mail

    listing = make.listing(make.home(), "tour", title_zh="红色故事", title_en="Red stories")
    tour_session = make.session(listing)
    mail.outbox.clear()
    [order] = buy("s:mail", listing_id=listing.id, session_id=tour_session.id, quantity="1")
    [message] = mail.outbox
    body = message.get_content()
    assert order.reference in message["Subject"]
    chinese, english = body.split("----------")  # rendered once per language
    assert order.reference in chinese and order.reference in english
    assert "红色故事" in body
    assert message["To"] == CONTACT.email


def test_listing_pages_offer_the_right_booking_form(client, make):
    home = make.home()
    tour = make.listing(home, "tour")
    make.session(tour)
    stay = make.listing(home, "homestay")
    make.room(stay)
    rice = make.listing(home, "produce", stock=3)
    sold_out = make.listing(home, "craft", stock=0)
    assert 'name="session_id"' in client.get(f"/listings/{tour.slug}").get_data(as_text=True)
    page = client.get(f"/listings/{stay.slug}").get_data(as_text=True)
    assert 'name="check_in"' in page and 'name="room_id"' in page and 'name="guests"' in page
    assert 'name="quantity"' in client.get(f"/listings/{rice.slug}").get_data(as_text=True)
    assert "/cart/add" not in client.get(f"/listings/{sold_out.slug}").get_data(as_text=True)
