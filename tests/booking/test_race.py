"""Races for the last seats, the same room-night and the last units (`pytest -k race`).

20 threads, each with its own app context and database session, check out at the same moment.
On SQLite (file database, WAL, BEGIN IMMEDIATE) and on PostgreSQL when TEST_DATABASE_URL is
set: exactly the capacity is sold, every other buyer gets a clear "sold out", no counter goes
negative, no reservation is left without a live order line, and availability afterwards is
capacity minus live reservations.
"""

import threading

from flask_babel import force_locale
from sqlalchemy import func, select

from market.orders import cart as carts
from market.orders import checkout as checkouts
from market.orders import errors as order_errors
from market.orders import tokens
from models import Listing, Order, OrderLine, RoomNight, TourSession, db
from tests.factories import CONTACT, stay_dates

THREADS = 20


def live_seats(session_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .where(OrderLine.session_id == session_id, OrderLine.holds_inventory.is_(True))) or 0


def live_units(listing_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .where(OrderLine.listing_id == listing_id, OrderLine.holds_inventory.is_(True))) or 0


def _race(app, owners: list[str]) -> list[tuple[str, str]]:
    totals = {owner: carts.review_cart(owner).total_fen for owner in owners}
    db.session.commit()
    barrier = threading.Barrier(len(owners))
    results: list[tuple[str, str]] = []
    lock = threading.Lock()

    def buyer(owner: str):
        with app.app_context(), force_locale("en"):
            barrier.wait()
            try:
                checkouts.checkout(owner, CONTACT, tokens.new_form_token(), totals[owner])
                outcome = ("ok", "")
            except order_errors.SoldOut as error:
                db.session.rollback()
                outcome = ("sold out", str(error))
            except Exception as error:  # anything else is a failure of the guarantee
                db.session.rollback()
                outcome = ("error", repr(error))
            finally:
                db.session.remove()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=buyer, args=(owner,)) for owner in owners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    db.session.expire_all()
    return results


def _assert_outcome(results, sold: int):
    assert len(results) == THREADS
    errors = [r for r in results if r[0] == "error"]
    assert not errors, errors
    assert sum(1 for r in results if r[0] == "ok") == sold
    losers = [r for r in results if r[0] == "sold out"]
    assert len(losers) == THREADS - sold
    assert all("sold out" in message.lower() for _, message in losers)
    assert db.session.scalar(select(func.count(Order.id))) == sold


def test_race_for_last_three_seats(app, make):
    listing = make.listing(make.home(), "tour", title_en="Red stories")
    tour_session = make.session(listing, capacity=3)
    owners = [f"s:seat{i}" for i in range(THREADS)]
    for owner in owners:
        carts.add_to_cart(owner, listing.id, session_id=tour_session.id, quantity="1")
    results = _race(app, owners)
    _assert_outcome(results, 3)
    tour_session = db.session.get(TourSession, tour_session.id)
    assert tour_session.reserved == 3 == live_seats(tour_session.id)
    assert tour_session.capacity - tour_session.reserved == 0


def test_race_for_the_same_room_night(app, make):
    listing = make.listing(make.home(), "homestay")
    room = make.room(listing)
    check_in, check_out = stay_dates(days_ahead=5, nights=1)
    owners = [f"s:night{i}" for i in range(THREADS)]
    for owner in owners:
        carts.add_to_cart(owner, listing.id, room_id=room.id, check_in=check_in.isoformat(),
                            check_out=check_out.isoformat(), guests="1")
    results = _race(app, owners)
    _assert_outcome(results, 1)
    nights = list(db.session.scalars(select(RoomNight)))
    assert len(nights) == 1 and nights[0].night == check_in
    line = db.session.get(OrderLine, nights[0].order_line_id)
    assert line.holds_inventory and line.order.status == "pending_payment"


def test_race_for_last_five_units(app, make):
    listing = make.listing(make.home(), "produce", stock=5, title_en="Rice")
    owners = [f"s:unit{i}" for i in range(THREADS)]
    for owner in owners:
        carts.add_to_cart(owner, listing.id, quantity="1")
    results = _race(app, owners)
    _assert_outcome(results, 5)
    listing = db.session.get(Listing, listing.id)
    assert listing.reserved == 5 == live_units(listing.id)
    assert listing.stock - listing.reserved == 0 and listing.reserved >= 0


def test_race_mixed_carts_never_deadlock_or_oversell(app, make):
    """Buyers with several items, added in different orders, all at once."""
    home = make.home()
    tour = make.listing(home, "tour")
    tour_session = make.session(tour, capacity=6)
    rice = make.listing(home, "produce", stock=6)
    owners = [f"s:mix{i}" for i in range(THREADS)]
    for i, owner in enumerate(owners):
        steps = [lambda o=owner: carts.add_to_cart(o, rice.id, quantity="1"),
                 lambda o=owner: carts.add_to_cart(o, tour.id, session_id=tour_session.id, quantity="1")]
        for step in (steps if i % 2 else reversed(steps)):
            step()
    results = _race(app, owners)
    _assert_outcome(results, 6)
    assert db.session.get(TourSession, tour_session.id).reserved == 6 == live_seats(tour_session.id)
    assert db.session.get(Listing, rice.id).reserved == 6 == live_units(rice.id)


def test_race_same_checkout_form_sent_twice_at_once_makes_one_order(app, make):
    listing = make.listing(make.home(), "produce", stock=10)
    carts.add_to_cart("s:twice", listing.id, quantity="2")
    total = carts.review_cart("s:twice").total_fen
    token = tokens.new_form_token()
    db.session.commit()
    barrier = threading.Barrier(2)
    results, lock = [], threading.Lock()

    def submit():
        with app.app_context():
            barrier.wait()
            try:
                outcome = [order.id for order in checkouts.checkout("s:twice", CONTACT, token, total)]
            except Exception as error:  # reported by the assertion below
                outcome = repr(error)
            with lock:
                results.append(outcome)
            db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    db.session.expire_all()
    assert len(results) == 2 and results[0] == results[1], results
    assert db.session.scalar(select(func.count(Order.id))) == 1
    assert db.session.get(Listing, listing.id).reserved == 2
