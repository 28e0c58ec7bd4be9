"""Fulfilment line by line: tours attended, stays checked out, goods shipped; the order is
fulfilled (and the ledger told, once) only when every line still owed is done."""

import re
from datetime import timedelta

import pytest

from market import clock, hooks
from market.clock import local_today
from market.orders import errors as order_errors
from market.orders import fulfilment, lifecycle
from market.orders import queries as order_queries
from models import Order, OrderLine, TourSession, db, utcnow
from tests.conftest import login, post_form
from tests.factories import paid_offline, paid_stay, refund, ship

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def fulfilled():
    seen = []

    def receiver(order, **_extra):
        seen.append(order.id)

    hooks.order_fulfilled.connect(receiver)
    yield seen
    hooks.order_fulfilled.disconnect(receiver)


def _alerts(response) -> str:
    return " ".join(re.findall(r'role="(?:alert|status)">([^<]*)<', response.get_data(as_text=True)))


def _line(order, kind) -> OrderLine:
    return next(line for line in order.lines if line.kind == kind)


def test_shipping_goods_leaves_the_tour_in_the_same_order_open(client, make, fulfilled):
    home = make.home()
    staff = make.member(home)
    tour = make.listing(home, "tour")
    tour_session = make.session(tour, days=5)
    rice = make.listing(home, "produce", stock=5)
    order = paid_offline("s:mixed", (tour.id, {"session_id": tour_session.id, "quantity": "2"}),
                         (rice.id, {"quantity": "1"}))
    login(client, staff)
    base = f"/manage/{home.slug}/orders/{order.reference}"
    shipped = post_form(client, base + "/ship", {"carrier": "顺丰", "tracking_number": "SF1"}, form_url=base)
    assert shipped.status_code == 302
    order = db.session.get(Order, order.id)
    assert order.status == "paid" and fulfilled == []
    assert _line(order, "produce").tracking_number == "SF1" and _line(order, "tour").fulfilled_at is None
    assert not lifecycle.can_customer_cancel(order)  # the rice has left

    tour_line = _line(order, "tour")
    early = post_form(client, f"{base}/lines/{tour_line.id}/done", form_url=base)
    assert early.status_code == 409 and "It can be marked attended from then." in _alerts(early)
    assert db.session.get(OrderLine, tour_line.id).fulfilled_at is None

    db.session.get(TourSession, tour_session.id).starts_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    done = post_form(client, f"{base}/lines/{tour_line.id}/done", form_url=base)
    assert done.status_code == 302
    order = db.session.get(Order, order.id)
    assert order.status == "fulfilled" and fulfilled == [order.id]
    assert _line(order, "tour").fulfilled_by_id == staff.id
    again = post_form(client, f"{base}/lines/{tour_line.id}/done", form_url=base)
    assert again.status_code == 409 and fulfilled == [order.id]


def test_a_stay_cannot_be_checked_out_before_its_check_out_day(app, make, fulfilled, english):
    order = paid_stay(make, make.home(), days_ahead=3, nights=2)
    line = order.lines[0]
    with pytest.raises(order_errors.OrderStateError, match="leave on"):
        fulfilment.mark_done(order, line.id, None)
    db.session.rollback()
    arrival_day = utcnow() + timedelta(days=3)
    with pytest.raises(order_errors.OrderStateError, match="leave on"):
        fulfilment.apply_mark_done(order, line.id, None, now=arrival_day)  # the guests are still there
    db.session.rollback()
    leaving_day = clock.start_of_day(line.check_out)
    fulfilment.apply_mark_done(order, line.id, None, now=leaving_day)
    db.session.commit()
    assert order.status == "fulfilled" and fulfilled == [order.id]


def test_the_today_page_marks_attendees_attended_without_javascript(client, make):
    home = make.home()
    staff = make.member(home)
    tour = make.listing(home, "tour")
    started = make.session(tour, days=1)
    later = make.session(tour, days=1)
    first = paid_offline("s:a", (tour.id, {"session_id": started.id, "quantity": "2"}))
    second = paid_offline("s:b", (tour.id, {"session_id": later.id, "quantity": "1"}))
    started.starts_at = utcnow() - timedelta(minutes=10)
    later.starts_at = utcnow() + timedelta(minutes=50)
    db.session.commit()
    login(client, staff)
    day = local_today(started.starts_at)
    page_url = f"/manage/{home.slug}/orders/today?day={day.isoformat()}"
    page = client.get(page_url).get_data(as_text=True)
    action = f"/manage/{home.slug}/orders/{first.reference}/lines/{first.lines[0].id}/done"
    assert f'action="{action}"' in page
    assert f"/orders/{second.reference}/lines/" not in page  # not started yet: no button
    response = post_form(client, action, {"back": f"today:{day.isoformat()}"}, form_url=page_url)
    assert response.status_code == 302 and response.headers["Location"].endswith(page_url)
    assert db.session.get(Order, first.id).status == "fulfilled"
    assert db.session.get(Order, second.id).status == "paid"


def test_stays_leaving_today_can_be_checked_out_from_the_today_page(client, make, monkeypatch):
    home = make.home()
    order = paid_stay(make, home, days_ahead=0, nights=1)
    login(client, make.member(home))
    check_out = order.lines[0].check_out
    monkeypatch.setattr(clock, "now", lambda: clock.start_of_day(check_out) + timedelta(hours=10))
    page = client.get(f"/manage/{home.slug}/orders/today?day={check_out.isoformat()}").get_data(as_text=True)
    assert f"/orders/{order.reference}/lines/{order.lines[0].id}/done" in page and "Checked out" in page


def test_waiting_to_ship_includes_partly_refunded_orders(client, make):
    home = make.home()
    rice, tea = make.listing(home, "produce", stock=5), make.listing(home, "produce", stock=5)
    order = paid_offline("s:partly", (rice.id, {"quantity": "1"}), (tea.id, {"quantity": "1"}))
    refund(order, {order.lines[0].id: order.lines[0].amount_fen}, "out of tea")
    assert order.status == "partially_refunded"
    assert order_queries.to_ship(home.id) == [order]
    login(client, make.member(home))
    assert order.reference in client.get(f"/manage/{home.slug}/orders/today").get_data(as_text=True)
    ship(order, "EMS", "E1")
    assert order.status == "fulfilled"
    assert [line.tracking_number for line in order.lines] == [None, "E1"]  # the refunded line stays
    assert order_queries.to_ship(home.id) == []


def test_refunding_the_last_open_line_completes_the_order_once(app, make, fulfilled):
    home = make.home()
    tour = make.listing(home, "tour")
    tour_session = make.session(tour, days=3)
    rice = make.listing(home, "produce", stock=5)
    order = paid_offline("s:last", (tour.id, {"session_id": tour_session.id, "quantity": "1"}),
                         (rice.id, {"quantity": "2"}))
    tour_line, rice_line = _line(order, "tour"), _line(order, "produce")
    fulfilment.apply_mark_done(order, tour_line.id, None, now=tour_session.starts_at)
    db.session.commit()
    assert order.status == "paid" and fulfilled == []
    refund(order, {rice_line.id: rice_line.amount_fen}, "spoiled")  # instead of shipping
    assert order.status == "fulfilled" and fulfilled == [order.id]
    refund(order, {tour_line.id: 100}, "goodwill")
    assert order.status == "partially_refunded" and fulfilled == [order.id]  # not a second time


def test_the_order_page_shows_what_is_done(client, make):
    home = make.home()
    rice = make.listing(home, "produce", stock=5)
    order = paid_offline("s:page", (rice.id, {"quantity": "1"}))
    ship(order, "顺丰", "SF42")
    with client.session_transaction() as session:
        session["guest_orders"] = [order.reference]
    text = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "Shipped" in text and "SF42" in text and "顺丰" in text
