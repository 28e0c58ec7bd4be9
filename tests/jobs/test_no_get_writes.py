"""No GET request writes to the database. What pages used to do as they were read (release
care-fund income, expire ended holds, apply queued search changes) is scheduled work now, and a
page works out what is free from the clock: a hold whose time has passed is shown as ended, its
seats, nights and units as free, before the minute's job has released them."""

import re
from datetime import date, timedelta

import pytest
from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, update

from market.clock import local_today
from market.fund.tasks import release_income
from market.ledger import service as ledger
from market.orders.tasks import expire_holds
from market.search.tasks import apply_queue
from models import Listing, Order, OrderEvent, RoomNight, SearchQueue, TourSession, db, utcnow
from tests.conftest import login
from tests.factories import CONTACT, end_hold, order_of, paid_offline, ship, stay_dates, stripe_order
from tests.manage.test_isolation import World
from tests.payments.stripe_fixtures import *  # noqa: F403 - the fixtures fake and tour

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def writes(app):
    """Every INSERT, UPDATE or DELETE sent to the database while the test runs."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().split(None, 1)[0].upper() in WRITES:
            seen.append(statement.split("\n")[0][:160])

    sa_event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    sa_event.remove(db.engine, "before_cursor_execute", count)


def test_a_crawl_of_the_public_pages_writes_nothing_and_the_job_releases_the_income(
        app, client, make, writes):
    home = make.home()
    rice = make.listing(home, "produce", stock=5)
    tour = make.listing(home, "tour")
    make.session(tour)
    order = paid_offline("s:crawl", (rice.id, {"quantity": "1"}))
    ship(order)
    # Fulfilled long enough ago that its care share is due to move from pending to available.
    db.session.execute(update(OrderEvent).where(OrderEvent.order_id == order.id).values(
        created_at=utcnow() - timedelta(days=30)))
    db.session.commit()
    pending = ledger.home_balances(home.id).get("care_fund:pending", 0)
    assert pending > 0
    writes.clear()
    pages = ["/", "/browse", "/kind/produce", f"/homes/{home.slug}", f"/listings/{rice.slug}",
             f"/listings/{tour.slug}", "/search?q=rice", "/fund/", f"/fund/{home.slug}",
             f"/fund/{home.slug}/entries.json", "/healthz"]
    for url in pages:
        assert client.get(url).status_code == 200, url
    assert writes == []
    assert ledger.home_balances(home.id).get("care_fund:pending", 0) == pending  # pages only read
    db.session.commit()  # the test's read ends
    release_income()  # the 10-minute schedule's task (immediate in tests)
    balances = ledger.home_balances(home.id)
    assert balances.get("care_fund:pending", 0) == 0 and balances["care_fund:available"] == pending


# ---- every GET route of the site, as four kinds of visitor ---------------------------------

def _due_holds(world: World) -> dict:
    """Unpaid orders of home A whose holds ended a minute ago, each holding everything left: the
    tour session's every seat, the room's nights, the rice's every unit."""
    rows = world.a
    rice = Listing(home_id=rows.home.id, kind="produce", slug="home-a-rice", status="published",
                   title_zh="大米", price_fen=3000, stock=3)
    db.session.add(rice)
    db.session.commit()
    check_in, leave = stay_dates(days_ahead=5, nights=2)
    tour = order_of("s:hold-tour", (rows.tour.id, {"quantity": "10", "session_id": str(rows.session.id)}))
    stay = order_of("s:hold-stay", (rows.homestay.id, {
        "room_id": str(rows.room.id), "check_in": check_in.isoformat(), "check_out": leave.isoformat(),
        "guests": "1"}))
    goods = order_of("s:hold-rice", (rice.id, {"quantity": "3"}))
    for order in (tour, stay, goods):
        end_hold(order)
    # What the tables say until the job runs: all taken.
    assert db.session.get(TourSession, rows.session.id).reserved == 10
    assert db.session.get(Listing, rice.id).reserved == 3
    assert db.session.scalar(select(func.count()).select_from(RoomNight)) == 2
    return {"orders": (tour, stay, goods), "rice": rice, "check_in": check_in, "leave": leave}


def _get_rules():
    return sorted((rule.rule, rule.endpoint) for rule in current_app.url_map.iter_rules()
                  if "GET" in rule.methods and rule.endpoint != "static")


def _url(world: World, rule: str, endpoint: str) -> str:
    rows = world.a
    listing = rows.homestay if "room" in endpoint else rows.tour
    reference = rows.donation.reference if endpoint.startswith("fund.") else rows.order.reference
    values = {
        "home_slug": rows.home.slug, "slug": listing.slug if "listing" in endpoint else rows.home.slug,
        "kind": "tour", "listing_id": listing.id, "session_id": rows.session.id, "room_id": rows.room.id,
        "photo_id": rows.photo.id, "elder_id": rows.elder.id, "home_id": rows.home.id,
        "membership_id": rows.membership.id, "disbursement_id": rows.disbursement.id,
        "donation_id": rows.donation.id, "reference": reference, "line_id": rows.line.id, "item_id": 1,
        "job_id": 1, "seq": 1, "year": 2026, "month": 1, "code": "en", "path": "home-a.jpg", "refund_id": 1,
        "token": "0" * 32, "day": (date.today() + timedelta(days=5)).isoformat(),
    }
    # A part named by a route added later gets 1: its page may be a 404, which must not write either.
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", lambda m: str(values.get(m.group(1), 1)), rule)


def test_no_get_route_writes_even_with_ended_holds_and_queued_search_changes(app, writes):
    world = World()
    due = _due_holds(world)
    db.session.add(SearchQueue(listing_id=world.a.tour.id, reason="availability"))
    db.session.commit()
    clients = {"anonymous": app.test_client()}
    for role, user in (("customer", world.customer), ("staff", world.staff_a), ("admin", world.admin)):
        clients[role] = app.test_client()
        login(clients[role], user)
    extra = [f"/listings/{world.a.tour.slug}", f"/listings/{due['rice'].slug}",
             f"/listings/{world.a.homestay.slug}", "/search?q=%E8%AE%B2%E6%95%85%E4%BA%8B",
             "/search?q=%E5%A4%A7%E7%B1%B3", "/cart", "/checkout", "/orders",
             f"/manage/{world.a.home.slug}/orders/", f"/manage/{world.a.home.slug}/orders/today"]
    urls = sorted({_url(world, rule, endpoint) for rule, endpoint in _get_rules()} | set(extra))
    assert len(urls) >= 60
    writes.clear()
    problems, served = [], 0
    for role, client in clients.items():
        for url in urls:
            response = client.get(url)
            if response.status_code >= 500:
                problems.append(f"{role} GET {url} -> {response.status_code}")
            served += response.status_code == 200
            if writes:
                problems.append(f"{role} GET {url} wrote {writes[:3]}")
                writes.clear()
    assert not problems, "\n".join(problems)
    assert served >= 100  # the crawl reached real pages, not only refusals
    # Nothing was released by the pages: the job does it.
    db.session.expire_all()
    assert db.session.get(TourSession, world.a.session.id).reserved == 10
    assert db.session.scalar(select(func.count()).select_from(SearchQueue)) >= 1
    db.session.commit()
    assert expire_holds.call_local() == 3  # the minute's schedule
    assert apply_queue.call_local() >= 1  # the 30-second schedule
    db.session.expire_all()
    assert db.session.get(TourSession, world.a.session.id).reserved == 0
    assert db.session.scalar(select(func.count()).select_from(SearchQueue)) == 0
    assert {db.session.get(Order, o.id).status for o in due["orders"]} == {"expired"}


def test_a_page_shows_an_ended_hold_as_free_before_the_job_runs(app, client, english, writes):
    world = World()
    due = _due_holds(world)
    tour_order = due["orders"][0]
    writes.clear()
    tour_page = client.get(f"/listings/{world.a.tour.slug}").get_data(as_text=True)
    assert "10 seats left" in tour_page and "Full" not in tour_page
    rice_page = client.get(f"/listings/{due['rice'].slug}").get_data(as_text=True)
    assert "3 left" in rice_page
    # Search finds the session with free seats, and the room free on those nights.
    day = local_today(world.a.session.starts_at).isoformat()
    found = client.get(f"/search?q=%E8%AE%B2%E6%95%85%E4%BA%8B&date={day}").get_data(as_text=True)
    assert f"/listings/{world.a.tour.slug}" in found
    stay = client.get(f"/search?q=%E5%86%9C%E5%AE%B6&check_in={due['check_in'].isoformat()}"
                      f"&check_out={due['leave'].isoformat()}").get_data(as_text=True)
    assert f"/listings/{world.a.homestay.slug}" in stay
    # The buyer whose hold ended sees it as ended, with no way to pay it.
    buyer = current_app.test_client()
    buyer.set_cookie("lang", "en")
    with buyer.session_transaction() as session:
        session["guest_orders"] = [tour_order.reference]
    detail = buyer.get(f"/orders/{tour_order.reference}").get_data(as_text=True)
    assert re.search(r"Status:\s*<strong>expired</strong>", detail)
    assert "How to pay" not in detail and "Cancel this order" not in detail
    mine = buyer.get("/orders").get_data(as_text=True)
    assert "expired" in mine and "waiting for payment" not in mine
    assert writes == []
    # Another buyer can take the seats now: checkout (a POST) releases the ended hold first.
    [order] = order_of("s:next-buyer", (world.a.tour.id, {"quantity": "10",
                                                          "session_id": str(world.a.session.id)})),
    assert order.status == "pending_payment"
    db.session.expire_all()
    assert db.session.get(Order, tour_order.id).status == "expired"
    assert CONTACT.name  # (the checkout used the shared contact)


def test_a_stripe_order_page_neither_writes_nor_calls_stripe(app, fake, tour, writes):
    """The order page of an unpaid Stripe order offers a button; the Checkout Session is made
    when the buyer presses it (a POST), never as the page is read."""
    order = stripe_order(tour)
    client = current_app.test_client()
    with client.session_transaction() as session:
        session["guest_orders"] = [order.reference]
    writes.clear()
    for url in (f"/orders/{order.reference}", "/orders", f"/orders/{order.reference}/receipt"):
        assert client.get(url).status_code == 200, url
    assert writes == [] and fake.requests == []
