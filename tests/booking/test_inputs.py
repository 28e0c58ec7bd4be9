"""Bad input when booking and checking out: a clear message, nothing reserved or changed."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from market.clock import local_today
from models import CartItem, Order, RoomNight, TourSession, db, utcnow
from tests.conftest import login, post_form
from tests.factories import CONTACT, add_on_page, buy, stay_dates


def _nothing_added():
    assert db.session.scalar(select(func.count(CartItem.id))) == 0
    assert db.session.scalar(select(func.count(Order.id))) == 0


def _message(response) -> str:
    found = re.search(r'role="alert">([^<]*)<', response.get_data(as_text=True))
    return found.group(1) if found else ""


@pytest.mark.parametrize("quantity", ["0", "-1", "1.5", "1000000000", "many", ""])
def test_bad_goods_quantity(client, make, quantity):
    listing = make.listing(make.home(), "produce", stock=10)
    response = add_on_page(client, listing, quantity=quantity)
    assert response.status_code == 400
    assert _message(response)
    _nothing_added()


@pytest.mark.parametrize("seats", ["0", "-1", "1.5", "1000000000", "abc"])
def test_bad_seat_count(client, make, seats):
    listing = make.listing(make.home(), "tour")
    tour_session = make.session(listing)
    response = add_on_page(client, listing, session_id=tour_session.id, quantity=seats)
    assert response.status_code == 400 and _message(response)
    _nothing_added()


def test_more_seats_than_left(client, make):
    listing = make.listing(make.home(), "tour")
    tour_session = make.session(listing, capacity=5, reserved=3)
    response = add_on_page(client, listing, session_id=tour_session.id, quantity="3")
    assert response.status_code == 400 and "2" in _message(response)
    _nothing_added()
    assert db.session.get(TourSession, tour_session.id).reserved == 3


def test_more_units_than_in_stock(client, make):
    listing = make.listing(make.home(), "craft", stock=2)
    assert add_on_page(client, listing, quantity="3").status_code == 400
    _nothing_added()


def test_session_that_has_started(client, make):
    listing = make.listing(make.home(), "tour")
    started = make.session(listing, days=0, starts_at=utcnow() - timedelta(minutes=5))
    response = add_on_page(client, listing, session_id=started.id, quantity="1")
    assert response.status_code == 400 and _message(response)
    _nothing_added()


def test_session_of_another_listing_or_made_up(client, make):
    home = make.home()
    listing, other = make.listing(home, "tour"), make.listing(home, "tour")
    foreign = make.session(other)
    for session_id in (foreign.id, 99999, "x"):
        assert add_on_page(client, listing, session_id=session_id, quantity="1").status_code == 400
    _nothing_added()


def test_tampered_listing_id(client, make):
    response = post_form(client, "/cart/add", {"listing_id": "99999", "quantity": "1"}, form_url="/orders")
    assert response.status_code == 400
    response = post_form(client, "/cart/add", {"listing_id": "1 OR 1=1", "quantity": "1"}, form_url="/orders")
    assert response.status_code == 400
    _nothing_added()


def test_archived_listing(client, make):
    listing = make.listing(make.home(), "produce", status="archived")
    response = add_on_page(client, listing, quantity="1")
    assert response.status_code == 400 and _message(response)
    _nothing_added()


def test_archived_after_adding_is_caught_at_checkout(app, make):
    from market.orders import cart as carts
    from market.orders import checkout as checkouts
    from market.orders import errors as order_errors
    from market.orders import tokens

    listing = make.listing(make.home(), "produce", stock=4)
    carts.add_to_cart("s:z", listing.id, quantity="1")
    listing.status = "archived"
    db.session.commit()
    with pytest.raises(order_errors.OrderError):
        checkouts.checkout("s:z", CONTACT, tokens.new_form_token(),
                         carts.review_cart("s:z").total_fen)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Order.id))) == 0


def _stay(client, make, check_in, check_out, guests="1"):
    listing = make.listing(make.home(), "homestay")
    room = make.room(listing, max_guests=2)
    return add_on_page(client, listing, room_id=room.id, check_in=str(check_in), check_out=str(check_out),
                guests=guests)


def test_check_out_on_or_before_check_in(client, make):
    check_in, _ = stay_dates()
    assert _stay(client, make, check_in, check_in).status_code == 400
    assert _stay(client, make, check_in, check_in - timedelta(days=1)).status_code == 400
    _nothing_added()


def test_stay_over_thirty_nights(client, make):
    check_in, _ = stay_dates()
    response = _stay(client, make, check_in, check_in + timedelta(days=31))
    assert response.status_code == 400 and "30" in _message(response)
    _nothing_added()


def test_dates_in_the_past_or_not_dates(client, make):
    yesterday = local_today(utcnow()) - timedelta(days=1)
    assert _stay(client, make, yesterday, yesterday + timedelta(days=2)).status_code == 400
    assert _stay(client, make, "2025-13-40", "tomorrow").status_code == 400
    _nothing_added()


def test_guests_above_the_room_maximum(client, make):
    check_in, check_out = stay_dates()
    response = _stay(client, make, check_in, check_out, guests="3")
    assert response.status_code == 400 and "2" in _message(response)
    assert _stay(client, make, check_in, check_out, guests="0").status_code == 400
    _nothing_added()


def test_room_already_booked(client, make):
    listing = make.listing(make.home(), "homestay")
    room = make.room(listing)
    check_in, check_out = stay_dates(nights=3)
    buy("s:first", listing_id=listing.id, room_id=room.id, check_in=str(check_in),
        check_out=str(check_out), guests="1")
    response = add_on_page(client, listing, room_id=room.id, check_in=str(check_in + timedelta(days=1)),
                    check_out=str(check_out + timedelta(days=1)), guests="1")
    assert response.status_code == 400 and _message(response)
    assert db.session.scalar(select(func.count(RoomNight.id))) == 3


def _checkout_with(client, **fields):
    page = client.get("/checkout").get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="([0-9a-f]+)"', page).group(1)
    total = re.search(r'name="expected_total"[^>]*value="(\d+)"', page).group(1)
    data = {"contact_name": "李明", "contact_phone": "13812345678", "provider": "offline",
            "token": token, "expected_total": total, "ship_province": "北京市", "ship_city": "北京",
            "ship_district": "东城区", "ship_street": "一号"}
    data.update(fields)
    return post_form(client, "/checkout", data, form_url="/checkout")


def test_shipping_to_a_region_the_product_does_not_ship_to(client, make):
    listing = make.listing(make.home(), "produce", stock=5, ships_to="河北省,北京市")
    add_on_page(client, listing, quantity="1")
    response = _checkout_with(client, ship_province="海南省")
    assert response.status_code == 400 and "海南省" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Order.id))) == 0
    db.session.refresh(listing)
    assert listing.reserved == 0


@pytest.mark.parametrize("phone", ["12345", "23812345678", "1381234567", "+12345", "phone", ""])
def test_bad_mobile_numbers(client, make, phone):
    listing = make.listing(make.home(), "tour")
    tour_session = make.session(listing)
    add_on_page(client, listing, session_id=tour_session.id, quantity="1")
    response = _checkout_with(client, contact_phone=phone)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_international_mobile_is_accepted(client, make):
    listing = make.listing(make.home(), "tour")
    tour_session = make.session(listing)
    add_on_page(client, listing, session_id=tour_session.id, quantity="1")
    assert _checkout_with(client, contact_phone="+85291234567").status_code == 302


def test_missing_shipping_address_for_goods(client, make):
    listing = make.listing(make.home(), "produce", stock=5)
    add_on_page(client, listing, quantity="1")
    assert _checkout_with(client, ship_street="", ship_city="").status_code == 400
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_another_customers_order_is_404(client, make):
    owner, stranger = make.user(), make.user()
    listing = make.listing(make.home(), "tour")
    tour_session = make.session(listing)
    [order] = buy("s:owner", listing_id=listing.id, session_id=tour_session.id, quantity="1")
    order.user_id = owner.id
    db.session.commit()
    login(client, stranger)
    assert client.get(f"/orders/{order.reference}").status_code == 404
    assert client.get(f"/orders/{order.reference}/receipt").status_code == 404
    response = post_form(client, f"/orders/{order.reference}/cancel", {"reason": ""}, form_url="/orders")
    assert response.status_code == 404
    assert db.session.get(Order, order.id).status == "pending_payment"


def test_another_homes_order_in_the_staff_console_is_404(client, make):
    mine, theirs = make.home(), make.home()
    staff = make.member(mine)
    listing = make.listing(theirs, "tour")
    tour_session = make.session(listing)
    [order] = buy("s:x", listing_id=listing.id, session_id=tour_session.id, quantity="1")
    login(client, staff)
    assert client.get(f"/manage/{mine.slug}/orders/{order.reference}").status_code == 404
    assert client.get(f"/manage/{theirs.slug}/orders/").status_code == 404
    assert client.get(f"/manage/{theirs.slug}/orders/{order.reference}").status_code == 404
    for action in ("mark-paid", "cancel", "ship", f"lines/{order.lines[0].id}/done"):
        response = post_form(client, f"/manage/{mine.slug}/orders/{order.reference}/{action}",
                             {"amount": "50.00", "method": "cash", "reason": "x"},
                             form_url=f"/manage/{mine.slug}/orders/")
        assert response.status_code == 404
    assert db.session.get(Order, order.id).status == "pending_payment"
    assert order.reference not in client.get(f"/manage/{mine.slug}/orders/").get_data(as_text=True)


def test_supervisor_reads_but_cannot_change(client, make):
    home = make.home()
    supervisor = make.member(home, role="supervisor")
    listing = make.listing(home, "tour")
    tour_session = make.session(listing)
    [order] = buy("s:y", listing_id=listing.id, session_id=tour_session.id, quantity="1")
    login(client, supervisor)
    assert client.get(f"/manage/{home.slug}/orders/{order.reference}").status_code == 200
    assert client.get(f"/manage/{home.slug}/orders/today").status_code == 200
    response = post_form(client, f"/manage/{home.slug}/orders/{order.reference}/mark-paid",
                         {"amount": "50.00", "method": "cash"}, form_url=f"/manage/{home.slug}/orders/")
    assert response.status_code == 403
    assert db.session.get(Order, order.id).status == "pending_payment"


def test_pay_cancel_or_ship_in_the_wrong_state(client, make):
    home = make.home()
    staff = make.member(home)
    listing = make.listing(home, "produce", stock=3)
    [order] = buy("s:w", listing_id=listing.id, quantity="1")
    login(client, staff)
    base = f"/manage/{home.slug}/orders/{order.reference}"
    ship = post_form(client, base + "/ship", {"carrier": "EMS", "tracking_number": "1"}, form_url=base)
    assert ship.status_code == 409
    post_form(client, base + "/cancel", {"reason": "no stock"}, form_url=base)
    assert db.session.get(Order, order.id).status == "cancelled"
    pay = post_form(client, base + "/mark-paid", {"amount": "50.00", "method": "cash"}, form_url=base)
    cancel = post_form(client, base + "/cancel", {"reason": "again"}, form_url=base)
    assert pay.status_code == 409 and cancel.status_code == 409
    assert db.session.get(Order, order.id).status == "cancelled"
