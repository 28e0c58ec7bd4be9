"""What buyers and staff read about an order: what was booked, where the money goes, how to pay,
the confirmation after checkout, the timeline, and the staff console's messages."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from market import mail
from market.orders import cart as carts
from market.orders import checkout as checkouts
from market.orders import errors as order_errors
from market.orders import lifecycle, tokens
from models import Order, OrderEvent, TourSession, db, utcnow
from tests.conftest import login, post_form
from tests.factories import (
    CHECKOUT_FORM,
    CONTACT,
    add_on_page,
    buy,
    check_out,
    check_out_on_page,
    end_hold,
    guest_tour_order,
    pay_offline,
    stay_dates,
)

pytestmark = pytest.mark.usefixtures("english")

PAY = {"pay_payee": "肥乡区前屯村村民委员会", "pay_account": "中国农业银行肥乡支行 6228 4806 1020 3040 517",
       "pay_phone": "139 3101 0208", "pay_note_en": "Call us between 8:00 and 17:00."}


def _alerts(response) -> str:
    return " ".join(re.findall(r'role="(?:alert|status)">([^<]*)<', response.get_data(as_text=True)))


# ---- 1. staff console dates ----------------------------------------------------------------

@pytest.mark.parametrize("query", ["?to=9999-12-31", "?from=0001-01-01", "today?day=9999-12-31",
                                   "today?day=0001-01-01"])
def test_console_dates_far_out_get_a_message_not_a_500(client, make, query):
    home = make.home()
    login(client, make.member(home))
    response = client.get(f"/manage/{home.slug}/orders/{query}")
    assert response.status_code == 400
    assert "Please choose a date between 2000-01-01 and 2099-12-31." in _alerts(response)


# ---- 2. staff actions the order's state refuses --------------------------------------------

def test_refused_staff_actions_say_why_on_the_page(client, make):
    home = make.home()
    login(client, make.member(home))
    listing = make.listing(home, "produce", stock=3)
    [order] = buy("s:w", listing_id=listing.id, quantity="1")
    base = f"/manage/{home.slug}/orders/{order.reference}"
    ship = post_form(client, base + "/ship", {"carrier": "EMS", "tracking_number": "1"}, form_url=base)
    assert ship.status_code == 409 and "Only a paid order can be marked done." in _alerts(ship)
    post_form(client, base + "/cancel", {"reason": "no stock"}, form_url=base)
    pay = post_form(client, base + "/mark-paid", {"amount": "50.00", "method": "cash"}, form_url=base)
    assert pay.status_code == 409
    assert "This order cannot be marked paid now (it is cancelled)." in _alerts(pay)
    again = post_form(client, base + "/cancel", {"reason": "again"}, form_url=base)
    assert again.status_code == 409 and "This order can no longer be cancelled." in _alerts(again)


# ---- 3. what was booked, in the reader's language ------------------------------------------

def _booked(make):
    home = make.home()
    tour = make.listing(home, "tour", title_zh="红色故事讲述", title_en="Red history storytelling")
    tour_session = make.session(tour, days=9, meeting_point_zh="村口大槐树",
                                meeting_point_en="The old locust tree")
    stay = make.listing(home, "homestay", title_zh="农家小院", title_en="Farmhouse courtyard")
    room = make.room(stay, name_zh="东厢房", name_en="East wing room")
    start, end = stay_dates(nights=2)
    owner = "s:booked"
    carts.add_to_cart(owner, tour.id, session_id=tour_session.id, quantity="2")
    carts.add_to_cart(owner, stay.id, room_id=room.id, check_in=start.isoformat(),
                        check_out=end.isoformat(), guests="2")
    mail.outbox.clear()
    [order] = check_out(owner)
    return home, order, tour_session


def test_order_pages_and_mail_say_what_was_booked(client, make):
    from flask_babel import force_locale

    from market.catalog.display import home_datetime
    from market.i18n import format_moment

    home, order, tour_session = _booked(make)
    with force_locale("en"):
        starts = format_moment(home_datetime(tour_session.starts_at))
    with client.session_transaction() as session:
        session["guest_orders"] = [order.reference]
    staff = make.member(home)
    pages = [client.get(f"/orders/{order.reference}"), client.get(f"/orders/{order.reference}/receipt")]
    login(client, staff)
    pages.append(client.get(f"/manage/{home.slug}/orders/{order.reference}"))
    for page in pages:
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        for words in ("Red history storytelling", starts, "Meeting point: The old locust tree",
                      "Farmhouse courtyard", "East wing room", "2 nights", "2 guests"):
            assert words in text, words
        assert "红色故事讲述" not in text  # English pages name the lines in English
    chinese, english = mail.outbox[0].get_content().split("----------")
    assert "红色故事讲述" in chinese and "村口大槐树" in chinese and "东厢房" in chinese
    assert "Red history storytelling" in english and "The old locust tree" in english
    assert starts.replace("\u202f", " ") in english and "East wing room" in english


# ---- 4. the care-fund split per line --------------------------------------------------------

_SPLIT = re.compile(r'<p class="line-split">(.*?)</p>', re.S)
_AMOUNT = re.compile(r"([\d,]+\.\d{2}) →")


def _fen(text: str) -> int:
    return int(text.replace(",", "").replace(".", ""))


def test_order_page_and_receipt_show_where_each_lines_money_goes(client, make):
    home = make.home(care_share_bps=2000)
    elder = make.elder(home, incentive_bps=500)
    tour = make.listing(home, "tour", price_fen=6667, elder_id=elder.id)
    tour_session = make.session(tour)
    rice = make.listing(home, "produce", price_fen=3333, stock=9)
    owner = "s:split"
    carts.add_to_cart(owner, tour.id, session_id=tour_session.id, quantity="3")
    carts.add_to_cart(owner, rice.id, quantity="1")
    [order] = check_out(owner)
    with client.session_transaction() as session:
        session["guest_orders"] = [order.reference]
    for url in (f"/orders/{order.reference}", f"/orders/{order.reference}/receipt"):
        text = client.get(url).get_data(as_text=True)
        splits = _SPLIT.findall(text)
        assert len(splits) == 2
        tour_shares = [_fen(a) for a in _AMOUNT.findall(splits[0])]
        assert len(tour_shares) == 4 and sum(tour_shares) == 3 * 6667  # care, incentive, fee, operations
        assert tour_shares[0] == 4000 and "storyteller incentive" in splits[0]
        assert sum(_fen(a) for a in _AMOUNT.findall(splits[1])) == 3333
        assert "/proof" not in text  # no ledger entry before payment

    pay_offline(order)
    text = client.get(f"/orders/{order.reference}/receipt").get_data(as_text=True)
    proof = re.search(r'href="(/ledger/entries/\d+/proof)"', text).group(1)
    assert client.get(proof).status_code == 200
    assert client.get(proof.removesuffix("/proof")).status_code == 200


# ---- 5. the confirmation after checkout ------------------------------------------------------

def test_checkout_ends_on_a_confirmation_with_each_order_and_how_to_pay_it(client, make, app):
    home_a = make.home(**PAY)
    home_b = make.home(pay_payee="官田村村民委员会", pay_account="江西农商银行 6231 7501")
    tour = make.listing(home_a, "tour")
    tour_session = make.session(tour)
    rice = make.listing(home_b, "produce", stock=5)
    add_on_page(client, tour, session_id=tour_session.id, quantity="1")
    add_on_page(client, rice, quantity="2")
    response, token = check_out_on_page(client)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/checkout/placed/{token}")
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    orders = list(db.session.scalars(select(Order).order_by(Order.id)))
    assert len(orders) == 2
    assert "one for each home" in text
    for order in orders:
        assert order.reference in text
    assert PAY["pay_account"] in text and "江西农商银行 6231 7501" in text

    # Another visitor cannot see the confirmation, nor get the orders by re-sending the token.
    stranger = app.test_client()
    stranger.set_cookie("lang", "en")
    assert stranger.get(f"/checkout/placed/{token}").status_code == 404
    resent = post_form(stranger, "/checkout", {**CHECKOUT_FORM, "token": token, "expected_total": "0"},
                       form_url="/orders")
    assert resent.headers["Location"].endswith("/cart")
    assert all(stranger.get(f"/orders/{o.reference}").status_code == 404 for o in orders)


def test_orders_for_a_token_are_only_the_cart_owners(app, make):
    listing = make.listing(make.home(), "produce", stock=5)
    token = tokens.new_form_token()
    carts.add_to_cart("s:mine", listing.id, quantity="1")
    [order] = checkouts.checkout("s:mine", CONTACT, token, carts.review_cart("s:mine").total_fen)
    assert checkouts.orders_for_token(token, "s:mine") == [order]
    assert checkouts.orders_for_token(token, "s:someone-else") == []
    with pytest.raises(order_errors.OrderError):  # their empty cart does not return my order
        checkouts.checkout("s:someone-else", CONTACT, token, 0)


# ---- 6. payment details per home -------------------------------------------------------------

def test_staff_give_payment_details_and_buyers_see_them_worded_for_what_they_bought(client, make):
    home = make.home()
    staff = make.member(home)
    login(client, staff)
    url = f"/manage/{home.slug}/orders/how-to-pay"
    bad = post_form(client, url, {"payee": "", "account": "6228 4806", "phone": "call me"})
    assert bad.status_code == 400
    db.session.refresh(home)
    assert home.pay_account == ""
    saved = post_form(client, url, {"payee": PAY["pay_payee"], "account": PAY["pay_account"],
                                    "phone": PAY["pay_phone"], "note_zh": "请在附言写订单号",
                                    "note_en": PAY["pay_note_en"]})
    assert saved.status_code == 302
    db.session.refresh(home)
    assert (home.pay_payee, home.pay_account, home.pay_phone) == (PAY["pay_payee"], PAY["pay_account"],
                                                                  PAY["pay_phone"])

    rice = make.listing(home, "produce", stock=5)
    soon = make.session(make.listing(home, "tour"), days=1)  # starts before the 48-hour hold ends
    later = make.session(make.listing(home, "tour"), days=20)
    mail.outbox.clear()
    [goods] = buy("s:goods", listing_id=rice.id, quantity="1")
    [visit] = buy("s:soon", listing_id=soon.listing_id, session_id=soon.id, quantity="1")
    [far] = buy("s:later", listing_id=later.listing_id, session_id=later.id, quantity="1")
    pages = {}
    for order in (goods, visit, far):
        with client.session_transaction() as session:
            session["guest_orders"] = [order.reference]
        pages[order.id] = client.get(f"/orders/{order.reference}").get_data(as_text=True)
        for value in (PAY["pay_payee"], PAY["pay_account"], PAY["pay_phone"], PAY["pay_note_en"]):
            assert value in pages[order.id]
    assert "cash when you arrive" not in pages[goods.id] and "ships the goods once" in pages[goods.id]
    assert "Pay in cash when you arrive" in pages[visit.id]
    assert "cash" not in pages[far.id] and "keeps your places until then" in pages[far.id]
    placed_mail = mail.outbox[0].get_content()
    assert PAY["pay_account"] in placed_mail and "cash when you arrive" not in placed_mail


def test_supervisors_read_payment_details_but_cannot_change_them(client, make):
    home = make.home(**PAY)
    login(client, make.member(home, role="supervisor"))
    url = f"/manage/{home.slug}/orders/how-to-pay"
    assert PAY["pay_account"] in client.get(url).get_data(as_text=True)
    assert post_form(client, url, {"payee": "x", "account": "y"}, form_url=f"/manage/{home.slug}/orders/"
                     ).status_code == 403


def test_demo_homes_have_payment_details():
    from market.demo.data import HOMES

    for spec in HOMES:
        assert spec["pay_payee"] and spec["pay_account"] and spec["pay_phone"]
        assert spec["pay_note_zh"] and spec["pay_note_en"]


# ---- 7. ended holds released before reserving --------------------------------------------------

def test_checkout_post_releases_an_ended_hold_before_reserving(client, make):
    tour = make.listing(make.home(), "tour")
    tour_session = make.session(tour, capacity=2)
    add_on_page(client, tour, session_id=tour_session.id, quantity="2")
    page = client.get("/checkout").get_data(as_text=True)  # the buyer opens the form ...
    [held] = buy("s:other", listing_id=tour.id, session_id=tour_session.id, quantity="2")
    end_hold(held)  # ... someone's hold ends unpaid
    token = re.search(r'name="token"[^>]*value="([0-9a-f]+)"', page).group(1)
    total = re.search(r'name="expected_total"[^>]*value="(\d+)"', page).group(1)
    response = post_form(client, "/checkout", {**CHECKOUT_FORM, "token": token, "expected_total": total},
                         form_url="/orders")
    assert response.status_code == 302, _alerts(response)
    assert db.session.get(Order, held.id).status == "expired"
    assert db.session.get(TourSession, tour_session.id).reserved == 2


@pytest.mark.parametrize("page", ["/search?q=x", "/manage/{slug}/orders/", "/manage/{slug}/orders/today"])
def test_search_and_staff_pages_read_ended_holds_and_the_job_releases_them(client, make, page):
    from market.orders.tasks import expire_holds

    home = make.home()
    login(client, make.member(home))
    tour = make.listing(home, "tour")
    tour_session = make.session(tour, capacity=2)
    [held] = buy("s:hold", listing_id=tour.id, session_id=tour_session.id, quantity="2")
    end_hold(held)
    assert client.get(page.format(slug=home.slug)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Order, held.id).status == "pending_payment"  # pages never write
    assert db.session.get(TourSession, tour_session.id).reserved == 2
    db.session.commit()
    assert expire_holds.call_local() == 1  # the minute's job
    db.session.expire_all()
    assert db.session.get(Order, held.id).status == "expired"
    assert db.session.get(TourSession, tour_session.id).reserved == 0


def test_the_staff_list_shows_an_ended_hold_as_expired_before_the_job(client, make):
    home = make.home()
    login(client, make.member(home))
    tour = make.listing(home, "tour")
    [held] = buy("s:hold", listing_id=tour.id, session_id=make.session(tour).id, quantity="1")
    listed = client.get(f"/manage/{home.slug}/orders/").get_data(as_text=True)
    assert "· waiting for payment ·" in listed
    end_hold(held)
    listed = client.get(f"/manage/{home.slug}/orders/").get_data(as_text=True)
    assert held.reference in listed and "· waiting for payment ·" not in listed and "· expired ·" in listed


# ---- 9. smaller wording ------------------------------------------------------------------------

def test_a_started_session_at_checkout_says_it_started_not_sold_out(client, make):
    tour = make.listing(make.home(), "tour")
    tour_session = make.session(tour, days=1)
    add_on_page(client, tour, session_id=tour_session.id, quantity="1")
    tour_session.starts_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response, _token = check_out_on_page(client)
    message = _alerts(response)
    assert "This session has already started" in message and "sold out" not in message.lower()
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_a_huge_quantity_says_the_maximum(client, make):
    listing = make.listing(make.home(), "produce", stock=10)
    response = add_on_page(client, listing, quantity="1000000000")
    assert response.status_code == 400 and "Please choose at most 999." in _alerts(response)
    assert "whole number" not in _alerts(add_on_page(client, listing, quantity="9" * 5000))


def test_stays_are_booked_at_most_a_year_ahead(client, make):
    listing = make.listing(make.home(), "homestay")
    room = make.room(listing)
    check_in, check_out = stay_dates(days_ahead=400, nights=1)
    for start, end in ((check_in, check_out), ("9999-12-30", "9999-12-31")):
        response = add_on_page(client, listing, room_id=room.id, check_in=str(start), check_out=str(end),
                               guests="1")
        assert response.status_code == 400 and "up to a year ahead" in _alerts(response)
    ok_in, ok_out = stay_dates(days_ahead=300, nights=1)
    assert add_on_page(client, listing, room_id=room.id, check_in=str(ok_in), check_out=str(ok_out),
                guests="1").status_code == 302


def test_the_timeline_says_who_did_what_in_plain_words(client, make):
    home = make.home()
    staff = make.member(home, name="王小红")
    tour = make.listing(home, "tour")
    tour_session = make.session(tour)
    [order] = buy("s:timeline", listing_id=tour.id, session_id=tour_session.id, quantity="1")
    [expired] = buy("s:late", listing_id=tour.id, session_id=tour_session.id, quantity="1")
    end_hold(expired)
    lifecycle.expire_due()
    login(client, staff)
    base = f"/manage/{home.slug}/orders/{order.reference}"
    post_form(client, base + "/mark-paid", {"amount": f"{order.total_fen / 100:.2f}", "method": "transfer"},
              form_url=base)
    staff_page = client.get(base).get_data(as_text=True)
    assert "by the customer" in staff_page and "Order placed." in staff_page
    assert "by staff: 王小红" in staff_page and "Payment received by the home (bank transfer)." in staff_page
    assert "payment offline" not in staff_page and ">checkout<" not in staff_page
    expired_page = client.get(f"/manage/{home.slug}/orders/{expired.reference}").get_data(as_text=True)
    assert "automatically" in expired_page and "Not paid in time" in expired_page


def test_a_guests_own_cancellation_is_recorded_as_the_customers(client, make):
    order = guest_tour_order(client, make)
    response = post_form(client, f"/orders/{order.reference}/cancel", {"reason": "", "confirm": "y"},
                         form_url=f"/orders/{order.reference}")
    assert response.status_code == 302
    event = db.session.scalar(select(OrderEvent).where(OrderEvent.to_status == "cancelled"))
    assert event.actor_kind == "customer"
    assert "by the customer" in client.get(f"/orders/{order.reference}").get_data(as_text=True)


def test_cancelling_needs_the_box_ticked(client, make):
    order = guest_tour_order(client, make)
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert 'type="checkbox"' in page and "Yes, cancel this order" in page
    response = post_form(client, f"/orders/{order.reference}/cancel", {"reason": "changed plans"},
                         form_url=f"/orders/{order.reference}")
    assert response.status_code == 400 and "Please tick the box" in _alerts(response)
    assert db.session.get(Order, order.id).status == "pending_payment"
