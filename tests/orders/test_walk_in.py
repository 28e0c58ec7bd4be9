"""Walk-in and telephone orders (#18): staff take an order for a buyer without an account, for
goods, seats or nights of their own home only, paid in cash now or waiting, reserved exactly as
a buyer's checkout; a receipt to print without refund or cancel forms."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from market.clock import local_today
from models import CartItem, Listing, Order, Payment, RoomNight, TourSession, db, utcnow
from tests.conftest import login, post_form

URL = "/manage/qiantun/orders/walk-in"


@pytest.fixture
def home(client, make):
    home = make.home(slug="qiantun")
    staff = make.member(home, "staff", name="张会计")
    login(client, staff)
    home.staff = staff
    return home


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def _walk_in(choice, **fields) -> dict:
    data = {"choice": choice, "quantity": "2", "name": "王大爷", "phone": "13800138000", "paid": "now",
            "ship_province": ""}
    data.update(fields)
    return data


def test_produce_paid_in_cash_now_recorded_by_the_staff_member_and_handed_over(client, home, make, english):
    rice = make.listing(home, "produce", stock=10, price_fen=2500)
    response = post_form(client, URL, _walk_in(f"g:{rice.id}"))
    assert response.status_code == 302 and response.location.endswith("/receipt")
    order = db.session.scalar(select(Order))
    assert order.status in ("paid", "fulfilled") and order.total_fen == 5000 and order.user_id is None
    assert order.contact_name == "王大爷" and order.ship_street is None
    payment = db.session.scalar(select(Payment))
    assert payment.recorded_by_id == home.staff.id and payment.method == "cash" and payment.amount_fen == 5000
    assert db.session.get(Listing, rice.id).stock == 8  # sold like a buyer's checkout
    assert all(line.fulfilled_at for line in order.lines)  # taken home by the buyer
    assert _count(CartItem) == 0
    receipt = client.get(response.location).get_data(as_text=True)
    assert "Received by 张会计" in receipt and "¥50.00" in receipt
    assert "/cancel" not in receipt and "/refund" not in receipt and "<form" not in receipt.split(
        "<main", 1)[-1].split("</main>")[0]


def test_seats_waiting_for_payment_hold_the_seats(client, home, make):
    tour = make.listing(home, "tour", price_fen=6800)
    session = make.session(tour, days=5, capacity=3)
    response = post_form(client, URL, _walk_in(f"s:{session.id}", paid="waiting"))
    assert response.status_code == 302
    order = db.session.scalar(select(Order))
    assert order.status == "pending_payment" and order.hold_expires_at is not None
    assert db.session.get(TourSession, session.id).reserved == 2
    assert _count(Payment) == 0


def test_nights_of_a_room(client, home, make):
    stay = make.listing(home, "homestay")
    room = make.room(stay)
    start = local_today(utcnow()) + timedelta(days=6)
    response = post_form(client, URL, _walk_in(f"r:{room.id}", quantity="1", check_in=start.isoformat(),
                                               check_out=(start + timedelta(days=2)).isoformat()))
    assert response.status_code == 302
    assert _count(RoomNight) == 2


BAD = [
    ({"quantity": "0"}, "quantity"),
    ({"quantity": "999999"}, "quantity"),
    ({"quantity": "lots"}, "quantity"),
    ({"phone": "123"}, "phone"),
    ({"name": ""}, "name"),
    ({"choice": ""}, "choice"),
    ({"choice": "g:99999999"}, "choice"),
    ({"choice": "x:1"}, "choice"),
    ({"quantity": "11"}, "sold out"),
]


@pytest.mark.parametrize("change, what", BAD, ids=[what for _c, what in BAD])
def test_bad_input_orders_nothing(client, home, make, change, what):
    rice = make.listing(home, "produce", stock=10)
    data = _walk_in(f"g:{rice.id}")
    data.update(change)
    response = post_form(client, URL, data)
    assert response.status_code == 400 and 'class="error"' in response.get_data(as_text=True)
    assert (_count(Order), _count(CartItem), _count(Payment)) == (0, 0, 0)
    assert db.session.get(Listing, rice.id).reserved == 0


def test_another_homes_items_and_orders_are_out_of_reach(client, make):
    home, other = make.home(slug="qiantun"), make.home(slug="guantian")
    theirs = make.listing(other, "produce", stock=10)
    login(client, make.member(home, "staff"))
    page = client.get(URL).get_data(as_text=True)
    assert theirs.title_zh not in page
    response = post_form(client, URL, _walk_in(f"g:{theirs.id}"))
    assert response.status_code == 400 and _count(Order) == 0
    assert client.get("/manage/guantian/orders/walk-in").status_code == 404


def test_another_homes_receipt_is_404(client, make):
    from tests.factories import order_of

    home, other = make.home(slug="qiantun"), make.home(slug="guantian")
    rice = make.listing(home, "produce", stock=10)
    order = order_of("s:x", (rice.id, {"quantity": "1"}))
    login(client, make.member(other, "staff"))
    assert client.get(f"/manage/qiantun/orders/{order.reference}/receipt").status_code == 404
    assert client.get(f"/manage/guantian/orders/{order.reference}/receipt").status_code == 404


def test_a_supervisor_cannot_take_orders(client, make):
    home = make.home(slug="qiantun")
    rice = make.listing(home, "produce", stock=10)
    login(client, make.member(home, "supervisor"))
    assert client.get(URL).status_code == 200
    assert post_form(client, URL, _walk_in(f"g:{rice.id}")).status_code == 403
    assert _count(Order) == 0
