"""The staff's today page is where a day's work starts: staff land on it after logging in, and it
lists what waits for them (payments to confirm, spending to approve, goods running low), for
their own home only."""

from datetime import date, timedelta

import pytest

from market import clock
from models import Disbursement, db, utcnow
from tests.conftest import login
from tests.factories import order_of

pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.parametrize("homes, landing", [(0, "/"), (1, "/manage/{slug}/orders/today"), (2, "/manage/")])
def test_logging_in_leads_staff_to_their_day(client, make, homes, landing):
    user = make.user()
    first = None
    for _ in range(homes):
        home = make.home()
        first = first or home
        _join(user, home)
    response = login(client, user)
    expected = landing.format(slug=first.slug if first else "")
    assert response.headers["Location"].endswith(expected)


def _join(user, home, role="staff"):
    from models import Membership

    db.session.add(Membership(user_id=user.id, home_id=home.id, role=role))
    db.session.commit()


def _proposal(home, by, payee):
    proposal = Disbursement(home_id=home.id, category="meals", amount_fen=12000, payee=payee,
                            spent_on=date(2026, 11, 30), proposed_by_id=by.id)
    db.session.add(proposal)
    db.session.commit()
    return proposal


def test_the_today_page_lists_what_waits_for_this_person_in_this_home(app, client, make):
    home, other = make.home(), make.home()
    staff = make.member(home)
    supervisor = make.member(home, role="supervisor")
    low = make.listing(home, "produce", stock=2, title_en="Last rice")
    make.listing(home, "produce", stock=10, title_en="Plenty of tea")
    make.listing(home, "craft", stock=None, made_to_order=True, title_en="Paper made to order")
    make.listing(other, "produce", stock=1, title_en="Other home's honey")
    waiting = order_of("s:walk-in", (make.listing(home, "produce").id, {"quantity": "1"}))
    ended = order_of("s:ended", (make.listing(home, "produce").id, {"quantity": "1"}))
    ended.hold_expires_at = utcnow() - timedelta(minutes=1)  # expired, before the job records it
    db.session.commit()
    elsewhere = order_of("s:other", (make.listing(other, "produce").id, {"quantity": "1"}))
    _proposal(home, staff, "Village shop")
    _proposal(home, supervisor, "Own proposal")
    _proposal(other, make.member(other), "Other home's shop")

    login(client, supervisor)
    page = client.get(f"/manage/{home.slug}/orders/today").get_data(as_text=True)
    assert waiting.reference in page and elsewhere.reference not in page and ended.reference not in page
    assert f"/manage/{home.slug}/orders/{waiting.reference}" in page
    assert low.title_en in page and "2 left" in page
    assert "Plenty of tea" not in page and "made to order" not in page and "honey" not in page
    assert "Village shop" in page  # a supervisor decides others' proposals
    assert "Own proposal" not in page and "Other home's shop" not in page

    staff_phone = app.test_client()
    login(staff_phone, staff)
    page = staff_phone.get(f"/manage/{home.slug}/orders/today").get_data(as_text=True)
    assert "Spending to approve" not in page  # staff propose; only supervisors decide
    assert waiting.reference in page
    assert staff_phone.get(f"/manage/{other.slug}/orders/today").status_code == 404


def test_packing_slip_shows_goods_and_address_without_money(client, make):
    home, other = make.home(), make.home()
    staff = make.member(home)
    rice = make.listing(home, "produce", title_en="Qiantun rice", price_fen=8800)
    order = order_of("s:parcel", (rice.id, {"quantity": "3"}))
    tour = make.listing(home, "tour")
    tour_only = order_of("s:tour", (tour.id, {"session_id": make.session(tour).id, "quantity": "1"}))
    login(client, staff)
    base = f"/manage/{home.slug}/orders"
    detail = client.get(f"{base}/{order.reference}").get_data(as_text=True)
    assert f"{base}/{order.reference}/packing-slip" in detail
    page = client.get(f"{base}/{order.reference}/packing-slip").get_data(as_text=True)
    assert "Qiantun rice" in page and "× 3" in page and order.ship_street in page
    assert "¥" not in page and "<form" not in page.split('<main', 1)[-1].split("</main>")[0]
    assert "Nothing in this order is sent by post." in client.get(
        f"{base}/{tour_only.reference}/packing-slip").get_data(as_text=True)
    assert client.get(f"/manage/{other.slug}/orders/{order.reference}/packing-slip").status_code == 404


def test_an_ended_hold_is_listed_as_expired_not_waiting_nor_attending(client, make):
    """Before the minute's job records it, an order whose hold has ended is filtered as expired
    and is not among the session's attendees (pages read the clock, never write)."""
    home = make.home()
    staff = make.member(home)
    tour = make.session(make.listing(home, "tour"), days=3)
    held = order_of("s:held", (tour.listing_id, {"quantity": "1", "session_id": str(tour.id)}))
    ended = order_of("s:ended", (tour.listing_id, {"quantity": "2", "session_id": str(tour.id)}))
    ended.hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert ended.status == "pending_payment"  # the job has not run

    login(client, staff)
    base = f"/manage/{home.slug}/orders"
    waiting = client.get(f"{base}/?status=pending_payment").get_data(as_text=True)
    assert held.reference in waiting and ended.reference not in waiting
    expired = client.get(f"{base}/?status=expired").get_data(as_text=True)
    assert ended.reference in expired and held.reference not in expired
    on_the_day = clock.local_today(tour.starts_at).isoformat()
    day = client.get(f"{base}/today?day={on_the_day}").get_data(as_text=True)
    assert held.reference in day and ended.reference not in day
