"""The staff room calendar (#18): a month of nights with bookings and blocked nights; blocking
and opening nights; blocking a booked night asks first, then cancels that stay with a full
refund, a timeline line and a mail; buyers cannot book a blocked night."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from market import mail
from market.booking.service import BookingError, taken_nights
from market.clock import local_today
from market.orders.cart import add_to_cart
from market.orders.timeline import event_text
from models import Order, Refund, RoomNight, db, utcnow
from tests.conftest import login, post_form
from tests.factories import CONTACT, check_out, paid_offline


@pytest.fixture
def stay(client, make):
    home = make.home(slug="qiantun")
    staff = make.member(home, "staff")
    login(client, staff)
    listing = make.listing(home, "homestay")
    room = make.room(listing)
    return home, listing, room, staff


def _day(days: int):
    return local_today(utcnow()) + timedelta(days=days)


def _night_url(room, day) -> str:
    return f"/manage/qiantun/rooms/{room.id}/nights/{day.isoformat()}"


def _paid_stay(listing, room, days=10, nights=2, owner="s:guest") -> Order:
    start = _day(days)
    return paid_offline(owner, (listing.id, {"room_id": room.id, "check_in": start.isoformat(),
                                             "check_out": (start + timedelta(days=nights)).isoformat(),
                                             "guests": "1"}))


def test_the_month_shows_bookings_with_reference_and_guest(client, stay):
    _home, listing, room, _staff = stay
    order = _paid_stay(listing, room, days=3)
    month = _day(3).strftime("%Y-%m")
    page = client.get(f"/manage/qiantun/rooms/{room.id}/calendar?month={month}").get_data(as_text=True)
    assert order.reference in page and CONTACT.name in page
    assert client.get(f"/manage/qiantun/rooms/{room.id}/calendar?month=nonsense").status_code == 400


def test_block_a_free_night_then_buyers_see_it_taken_and_cannot_book_it(client, stay):
    _home, listing, room, staff = stay
    day = _day(5)
    response = post_form(client, _night_url(room, day), {"action": "block", "reason": "painting"})
    assert response.status_code == 302
    night = db.session.scalar(select(RoomNight))
    assert night.order_line_id is None and night.blocked_reason == "painting"
    assert night.blocked_by_id == staff.id
    assert day in taken_nights([room.id], day, day)[room.id]
    public = client.get(f"/listings/{listing.slug}").get_data(as_text=True)
    assert "<s>" in public
    # the cart refuses it, and a checkout racing past the cart's look cannot insert it either
    with pytest.raises(BookingError):
        add_to_cart("s:buyer", listing.id, room_id=room.id, check_in=day.isoformat(),
                    check_out=(day + timedelta(days=1)).isoformat(), guests="1")
    add_to_cart("s:racer", listing.id, room_id=room.id, check_in=(day - timedelta(days=1)).isoformat(),
                check_out=day.isoformat(), guests="1")
    db.session.add(RoomNight(room_id=room.id, night=day - timedelta(days=1), order_line_id=None,
                             blocked_reason="race"))
    db.session.commit()
    from market.orders.errors import SoldOut
    with pytest.raises(SoldOut):
        check_out("s:racer")
    # open again
    assert post_form(client, _night_url(room, day), {"action": "unblock"}).status_code == 302
    assert db.session.scalar(select(func.count(RoomNight.id)).where(RoomNight.night == day)) == 0


def test_blocking_a_booked_night_asks_first_and_changes_nothing(client, stay, english):
    _home, listing, room, _staff = stay
    order = _paid_stay(listing, room)
    mail.outbox.clear()
    response = post_form(client, _night_url(room, _day(10)), {"action": "block", "reason": "roof leaks"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Are you sure?" in page and order.reference in page
    assert 'name="confirmed" value="yes"' in page
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "paid" and mail.outbox == []
    assert db.session.scalar(select(func.count(RoomNight.id)).where(RoomNight.order_line_id.is_(None))) == 0


def test_confirmed_block_cancels_the_stay_refunds_in_full_tells_the_buyer(client, stay, english):
    _home, listing, room, _staff = stay
    order = _paid_stay(listing, room, nights=2)
    mail.outbox.clear()
    response = post_form(client, _night_url(room, _day(11)),
                         {"action": "block", "reason": "roof leaks", "confirmed": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status in ("cancelled", "refunded")
    refund = db.session.scalar(select(Refund).where(Refund.order_id == order.id))
    assert refund is not None and refund.amount_fen == order.total_fen
    texts = [event_text(event) for event in order.events]
    assert any("closed the room on the night of" in text and "roof leaks" in text for text in texts)
    nights = db.session.execute(select(RoomNight.night, RoomNight.order_line_id)).all()
    assert nights == [(_day(11), None)]  # the stay's nights freed, the blocked one kept
    [message] = mail.outbox
    assert message["To"] == CONTACT.email and order.reference in message["Subject"]


def test_a_stay_in_an_order_with_goods_is_cancelled_alone(client, stay, make, english):
    home, listing, room, _staff = stay
    goods = make.listing(home, "produce")
    start = _day(10)
    order = paid_offline("s:mixed", (listing.id, {"room_id": room.id, "check_in": start.isoformat(),
                                                  "check_out": (start + timedelta(days=1)).isoformat(),
                                                  "guests": "1"}),
                         (goods.id, {"quantity": "2"}))
    mail.outbox.clear()
    post_form(client, _night_url(room, start), {"action": "block", "reason": "", "confirmed": "yes"})
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    stay_line = next(line for line in order.lines if line.kind == "homestay")
    assert order.status in ("paid", "partially_refunded") and not stay_line.holds_inventory
    refund = db.session.scalar(select(Refund).where(Refund.order_id == order.id))
    assert refund.amount_fen == stay_line.amount_fen
    assert "closed the room" in event_text(order.events[-1]) or any(
        "closed the room" in event_text(event) for event in order.events)
    [message] = mail.outbox
    assert "close the room" in message.get_content()


@pytest.mark.parametrize("days, code", [(-1, 400), (400, 400)])
def test_nights_outside_today_to_a_year_cannot_be_blocked(client, stay, days, code):
    _home, _listing, room, _staff = stay
    day = _day(days)
    response = post_form(client, _night_url(room, day), {"action": "block"},
                         form_url=_night_url(room, _day(1)))
    assert response.status_code == code
    assert db.session.scalar(select(func.count(RoomNight.id))) == 0


def test_bad_input_is_refused(client, stay):
    _home, _listing, room, _staff = stay
    url = _night_url(room, _day(3))
    assert post_form(client, url, {"action": "block", "reason": "长" * 300}).status_code == 400
    assert post_form(client, url, {"action": "unblock"}).status_code == 400  # not blocked
    assert post_form(client, url, {"action": "explode"}).status_code == 400
    assert client.get(f"/manage/qiantun/rooms/{room.id}/nights/not-a-day").status_code == 404
    assert db.session.scalar(select(func.count(RoomNight.id))) == 0


def test_another_homes_staff_never_see_or_change_these_rooms(client, make):
    home, other = make.home(slug="qiantun"), make.home(slug="guantian")
    room = make.room(make.listing(home, "homestay"))
    login(client, make.member(other, "staff"))
    day = _day(4).isoformat()
    for url in (f"/manage/qiantun/rooms/{room.id}/calendar", "/manage/qiantun/rooms",
                f"/manage/qiantun/rooms/{room.id}/nights/{day}"):
        assert client.get(url).status_code == 404
    assert client.get(f"/manage/guantian/rooms/{room.id}/calendar").status_code == 404
    assert client.get(f"/manage/guantian/rooms/{room.id}/nights/{day}").status_code == 404
    response = post_form(client, f"/manage/guantian/rooms/{room.id}/nights/{day}", {"action": "block"},
                         form_url="/manage/guantian/rooms")
    assert response.status_code == 404
    assert room.name_zh not in client.get("/manage/guantian/rooms").get_data(as_text=True)
    assert db.session.scalar(select(func.count(RoomNight.id))) == 0


def test_a_supervisor_reads_the_calendar_but_cannot_block(client, make):
    home = make.home(slug="qiantun")
    room = make.room(make.listing(home, "homestay"))
    login(client, make.member(home, "supervisor"))
    url = f"/manage/qiantun/rooms/{room.id}/nights/{_day(4).isoformat()}"
    assert client.get(url).status_code == 200
    assert post_form(client, url, {"action": "block"}, form_url="/manage/qiantun/rooms").status_code == 403
