"""Change your mind: quantities edited in the cart (a plain form), one line of a paid order
cancelled within its policy and refunded by the same path as a whole-order cancel, and the
refund shown to the buyer with how and when the money comes back and its ledger entry."""

import re

from sqlalchemy import func, select

from models import CartItem, JournalEntry, Order, Posting, Refund, TourSession, db
from tests.conftest import post_form
from tests.factories import add_on_page, check_out_on_page, stay_dates


def _alerts(response) -> list[str]:
    return re.findall(r'role="(?:alert|status)">([^<]*)<', response.get_data(as_text=True))


def _update(client, item, quantity):
    return post_form(client, f"/cart/update/{item.id}", {"quantity": quantity}, form_url="/cart")


def _item():
    return db.session.scalar(select(CartItem))


# ---- the cart ---------------------------------------------------------------------------------

def test_goods_quantity_is_changed_in_the_cart(client, make, english):
    goods = make.listing(make.home(), "produce", price_fen=3000, stock=10)
    add_on_page(client, goods, quantity="2")
    response = _update(client, _item(), "5")
    assert response.status_code == 302
    item = _item()
    assert item.quantity == 5 and item.seen_amount_fen == 15000
    assert "CN¥150.00" in client.get("/cart").get_data(as_text=True)


def test_bad_quantities_are_refused_with_a_message_and_nothing_changes(client, make, english):
    goods = make.listing(make.home(), "produce", price_fen=3000, stock=4)
    add_on_page(client, goods, quantity="2")
    for text, message in (("0", "Please choose at least 1."), ("abc", "Please enter a whole number"),
                          ("-3", "Please enter a whole number"), ("", "Please enter a whole number"),
                          ("99999999999999999999", "Please choose at most 999."),
                          ("5", "Only 4 left.")):
        response = _update(client, _item(), text)
        assert response.status_code == 400, text
        assert any(message in alert for alert in _alerts(response)), (text, _alerts(response))
        item = _item()
        assert item.quantity == 2 and item.seen_amount_fen == 6000


def test_tour_seats_and_stay_guests_keep_to_what_there_is(client, make, english):
    home = make.home()
    tour = make.listing(home, "tour", price_fen=5000)
    session = make.session(tour, capacity=3)
    add_on_page(client, tour, session_id=session.id, quantity="1")
    item = _item()
    assert _update(client, item, "3").status_code == 302
    assert _item().quantity == 3 and _item().seen_amount_fen == 15000
    response = _update(client, item, "4")
    assert response.status_code == 400 and "Only 3 seats are left in this session." in _alerts(response)
    assert _item().quantity == 3

    db.session.delete(_item())
    db.session.commit()
    stay = make.listing(home, "homestay")
    room = make.room(stay, max_guests=2)
    check_in, check_out = stay_dates()
    add_on_page(client, stay, room_id=room.id, check_in=check_in.isoformat(),
                check_out=check_out.isoformat(), guests="1")
    response = _update(client, _item(), "3")
    assert response.status_code == 400 and "This room sleeps at most 2 guests." in _alerts(response)
    assert _update(client, _item(), "2").status_code == 302
    assert _item().guests == 2 and _item().quantity == 2  # the nights stay as they were


def test_nobody_changes_another_buyers_cart(app, make, english):
    goods = make.listing(make.home(), "produce", stock=10)
    mine, theirs = app.test_client(), app.test_client()
    theirs.set_cookie("lang", "en")
    add_on_page(mine, goods, quantity="1")
    add_on_page(theirs, goods, quantity="1")  # so that the other guest has a cart of their own
    my_item = db.session.scalar(select(CartItem).order_by(CartItem.id))
    response = _update(theirs, my_item, "7")
    assert response.status_code == 400
    assert "That item is not in your cart any more." in _alerts(response)
    db.session.refresh(my_item)
    assert my_item.quantity == 1


# ---- one line of a paid order ---------------------------------------------------------------

def _paid_two_line_order(client, make, *, tour_days=7):
    home = make.home(pay_phone="0310-1234567")
    tour = make.listing(home, "tour", price_fen=5000)
    session = make.session(tour, days=tour_days, capacity=10)
    goods = make.listing(home, "craft", price_fen=8000, stock=5)
    add_on_page(client, tour, session_id=session.id, quantity="2")
    add_on_page(client, goods, quantity="1")
    check_out_on_page(client)
    order = db.session.scalar(select(Order))
    staff = make.member(home)
    from tests.factories import mark_paid

    order = mark_paid(order, staff)
    return order, session, goods


def _cancel_line(client, order, line, confirm=True):
    data = {"confirm": "y"} if confirm else {}
    return post_form(client, f"/orders/{order.reference}/lines/{line.id}/cancel", data,
                     form_url=f"/orders/{order.reference}")


def test_one_line_is_cancelled_refunded_and_reversed_in_the_ledger(client, make, english):
    order, session, goods = _paid_two_line_order(client, make)
    tour_line, goods_line = order.lines
    assert db.session.get(TourSession, session.id).reserved == 2
    response = _cancel_line(client, order, tour_line)
    assert response.status_code == 302
    order = db.session.get(Order, order.id)
    tour_line, goods_line = order.lines
    assert order.status == "partially_refunded"
    assert tour_line.refunded_fen == 10000 and not tour_line.holds_inventory
    assert goods_line.refunded_fen == 0 and goods_line.holds_inventory
    assert db.session.get(TourSession, session.id).reserved == 0
    refund = db.session.scalar(select(Refund))
    assert refund.status == "succeeded" and refund.initiated_by == "customer"
    # The ledger reverses exactly the line's shares, by the whole-order cancel's path.
    entry = db.session.scalar(select(JournalEntry).where(JournalEntry.refund_id == refund.id))
    sale = {(p.order_line_id, p.share): p.amount for p in db.session.scalars(
        select(Posting).join(JournalEntry).where(JournalEntry.kind == "sale"))}
    back = {(p.order_line_id, p.share): p.amount for p in entry.postings if p.order_line_id}
    assert back and all(line_id == tour_line.id for line_id, _share in back)
    assert all(back[key] == -sale[key] for key in back)
    # The page says how and when the money comes back, and links the entry.
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "Refund of CN¥100.00" in page
    assert "The home gives this money back to you in cash or by transfer to you, by " in page
    assert "0310-1234567" in page
    assert f'href="/ledger/entries/{entry.seq}"' in page
    assert not re.search(r"by \d{4}-\d\d-\d\d", page)  # a date in words, not ISO


def test_the_refund_date_reads_the_chinese_way_on_chinese_pages(client, make):
    order, _session, _goods = _paid_two_line_order(client, make)
    _cancel_line(client, order, order.lines[0])
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日前", page), re.findall(r"退[^<]{0,80}", page)


def test_a_line_past_its_deadline_cannot_be_cancelled_and_nothing_changes(client, make, english):
    order, session, _goods = _paid_two_line_order(client, make, tour_days=1)  # within 48 hours
    tour_line = order.lines[0]
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert f"/lines/{tour_line.id}/cancel" not in page
    response = _cancel_line(client, order, tour_line)
    assert response.status_code == 409
    assert "no longer be cancelled online" in " ".join(_alerts(response) + [response.get_data(as_text=True)])
    assert db.session.get(Order, order.id).status == "paid"
    assert db.session.get(TourSession, session.id).reserved == 2
    assert db.session.scalar(select(func.count(Refund.id))) == 0


def test_the_box_must_be_ticked_and_another_buyer_gets_404(app, client, make, english):
    order, session, _goods = _paid_two_line_order(client, make)
    response = _cancel_line(client, order, order.lines[0], confirm=False)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Refund.id))) == 0
    stranger = app.test_client()
    stranger.get("/")
    response = post_form(stranger, f"/orders/{order.reference}/lines/{order.lines[0].id}/cancel",
                         {"confirm": "y"}, form_url="/orders")
    assert response.status_code == 404
    assert db.session.get(TourSession, session.id).reserved == 2


def test_the_last_line_cancels_the_whole_order(client, make, english):
    order, session, goods = _paid_two_line_order(client, make)
    _cancel_line(client, order, order.lines[0])
    order = db.session.get(Order, order.id)
    # One line held now: the page offers the whole order's cancel, not a line's.
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert f"/lines/{order.lines[1].id}/cancel" not in page and f"/orders/{order.reference}/cancel" in page
    response = post_form(client, f"/orders/{order.reference}/cancel", {"confirm": "y"},
                         form_url=f"/orders/{order.reference}")
    assert response.status_code == 302
    order = db.session.get(Order, order.id)
    assert order.status in ("cancelled", "refunded")
    assert [line.refunded_fen for line in order.lines] == [10000, 8000]
    db.session.refresh(goods)
    assert goods.stock == 5  # restocked


def test_a_line_of_an_order_from_the_day_before_deadline_is_still_offered(client, make, english):
    order, _session, _goods = _paid_two_line_order(client, make, tour_days=3)  # 72 h > 48 h
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert f"/lines/{order.lines[0].id}/cancel" in page
    assert "Cancel one part of this order" in page
