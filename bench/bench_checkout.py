"""Checkout throughput with 8 concurrent buyers, beside the raw rate of inserting the same rows.

On SQLite (a file in a temp dir: WAL, BEGIN IMMEDIATE) and on PostgreSQL (postgresql:///test,
or BENCH_DATABASE_URL, in a fresh schema dropped afterwards; skipped when unreachable).
Buyers' carts hold a mix of tour seats, homestay nights and goods; some resources are scarce on
purpose, so some checkouts end in "sold out". The checkout rate counts orders created (sold-out
attempts are reported apart, their time counted); the raw rate inserts the rows of the orders
that were created. Afterwards every counter is checked against the live order lines: the
oversold count must be 0. Target: checkout ≥ 25% of the raw insert rate. The search index goes
to the run's temp dir, never to the project's instance/.

`python -m bench checkout`
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import uuid
from datetime import timedelta

from sqlalchemy import func, select, text

BUYERS = 8
ORDERS = int(os.environ.get("BENCH_CHECKOUT_ORDERS", 480))
TARGET = 0.25
ROUNDS = 4


def _app(url: str, folder: str, engine_options: dict | None = None):
    from market import create_app

    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                       "SQLALCHEMY_ENGINE_OPTIONS": engine_options or {}, "SERVER_NAME": "localhost",
                       "SEARCH_INDEX_DIR": os.path.join(folder, "search"), "INSTANCE_DIR": folder})


def _seed(app):
    """Three homes; tours (sessions of 12 seats), homestays (rooms) and goods (stock 150)."""
    from market.clock import local_today
    from models import Home, Listing, Room, TourSession, db, utcnow

    with app.app_context():
        db.create_all()
        homes = []
        for n in range(3):
            home = Home(slug=f"bench-{n}", name_zh=f"幸福院{n}", name_en=f"Home {n}", province_zh="河北省",
                        province_en="Hebei", county_zh="肥乡区", county_en="Feixiang",
                        village_zh="前屯村", village_en="Qiantun", care_share_bps=2000)
            db.session.add(home)
            homes.append(home)
        db.session.flush()
        sessions, rooms, goods = [], [], []
        for n, home in enumerate(homes):
            tour = Listing(home_id=home.id, kind="tour", slug=f"tour-{n}", status="published",
                           title_zh="红色故事", title_en="Red stories", price_fen=6000)
            stay = Listing(home_id=home.id, kind="homestay", slug=f"stay-{n}", status="published",
                           title_zh="农家小院", title_en="Farm house", price_fen=18800)
            rice = Listing(home_id=home.id, kind="produce", slug=f"rice-{n}", status="published",
                           title_zh="大米", title_en="Rice", price_fen=3000, stock=150)
            db.session.add_all([tour, stay, rice])
            db.session.flush()
            for day in range(8):
                tour_session = TourSession(listing_id=tour.id, capacity=12,
                                           starts_at=utcnow() + timedelta(days=day + 3))
                db.session.add(tour_session)
                sessions.append((tour.id, tour_session))
            for r in range(6):
                room = Room(listing_id=stay.id, name_zh=f"房间{r}", nightly_price_fen=18800 + r * 100,
                            max_guests=2)
                db.session.add(room)
                rooms.append((stay.id, room))
            goods.append(rice.id)
        db.session.commit()
        today = local_today(utcnow())
        return ([(lid, s.id) for lid, s in sessions], [(lid, r.id) for lid, r in rooms], goods, today)


def _plan(resources, count: int) -> list[dict]:
    sessions, rooms, goods, today = resources
    plan = []
    for i in range(count):
        kind, k = i % 3, i // 3
        if kind == 0:
            listing_id, session_id = sessions[k % len(sessions)]
            plan.append({"listing_id": listing_id, "session_id": session_id, "quantity": str(1 + i % 2)})
        elif kind == 1:
            listing_id, room_id = rooms[k % len(rooms)]
            start = today + timedelta(days=5 + 2 * ((k // len(rooms)) % 40))
            plan.append({"listing_id": listing_id, "room_id": room_id, "check_in": start.isoformat(),
                         "check_out": (start + timedelta(days=1 + i % 2)).isoformat(), "guests": "1"})
        else:
            plan.append({"listing_id": goods[k % len(goods)], "quantity": str(1 + k % 3)})
    return plan


def _run_threads(work, indexes: list[int]) -> float:
    chunks = [indexes[t::BUYERS] for t in range(BUYERS)]
    barrier = threading.Barrier(BUYERS + 1)
    threads = [threading.Thread(target=work, args=(chunk, barrier)) for chunk in chunks]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _checkout_rate(app, plan, indexes: list[int]) -> tuple[float, list[int], int]:
    """Seconds, the plan indexes whose checkout created an order, and the sold-out count."""
    from market.orders import cart as carts
    from market.orders import checkout as checkouts
    from market.orders import errors as order_errors
    from models import db

    with app.app_context():
        totals = {}
        for i in indexes:
            item, owner = plan[i], f"s:bench{i}"
            try:
                carts.add_to_cart(owner, **item)
            except Exception:
                db.session.rollback()
            totals[i] = carts.review_cart(owner).total_fen
        db.session.remove()
    contact = checkouts.Contact(name="李明", phone="13812345678", province="北京市", city="北京",
                              district="朝阳区", street="幸福路1号")
    placed: list[int] = []
    sold_out = [0]
    lock = threading.Lock()

    def work(indexes, barrier):
        mine, gone = [], 0
        with app.app_context():
            barrier.wait()
            for i in indexes:
                try:
                    checkouts.checkout(f"s:bench{i}", contact, uuid.uuid4().hex, totals[i])
                    mine.append(i)
                except order_errors.SoldOut:
                    db.session.rollback()
                    gone += 1
            db.session.remove()
        with lock:
            placed.extend(mine)
            sold_out[0] += gone

    seconds = _run_threads(work, indexes)
    return seconds, sorted(placed), sold_out[0]


def _raw_rate(app, plan, indexes: list[int]) -> float:
    """The same rows (order, lines, event, room-nights) inserted with plain Core statements."""
    from datetime import date

    from market.booking.service import nights_between
    from models import Order, OrderEvent, OrderLine, RoomNight, db, utcnow

    orders, lines, events, nights = (Order.__table__, OrderLine.__table__, OrderEvent.__table__,
                                      RoomNight.__table__)
    with app.app_context():
        engine = db.engine
        homes = dict(db.session.execute(text("SELECT id, home_id FROM listings")).all())
        db.session.remove()

    def work(indexes, barrier):
        barrier.wait()
        for i in indexes:
            item = plan[i]
            now = utcnow()
            quantity = int(item.get("quantity", 1))
            with engine.begin() as conn:
                order_id = conn.execute(orders.insert().values(
                    reference=uuid.uuid4().hex[:12].upper(), idempotency_token=f"raw{uuid.uuid4().hex}:1",
                    home_id=homes[item["listing_id"]], status="pending_payment", provider="offline",
                    total_fen=6000 * quantity, currency="CNY", contact_name="李明",
                    contact_phone="13812345678", locale="zh_Hans", hold_expires_at=now, created_at=now,
                ).returning(orders.c.id)).scalar_one()
                line_id = conn.execute(lines.insert().values(
                    order_id=order_id, home_id=homes[item["listing_id"]], listing_id=item["listing_id"],
                    kind="raw", title="raw", session_id=item.get("session_id"), room_id=item.get("room_id"),
                    quantity=quantity, unit_price_fen=6000, amount_fen=6000 * quantity, refunded_fen=0,
                    care_share_bps=2000, incentive_bps=0, platform_fee_bps=500, holds_inventory=False,
                ).returning(lines.c.id)).scalar_one()
                conn.execute(events.insert().values(order_id=order_id, to_status="pending_payment",
                                                    reason="checkout", created_at=now))
                if "room_id" in item:
                    offset = 400 + i  # far from the checkout's nights: the same number of rows
                    start = date.fromisoformat(item["check_in"]) + timedelta(days=offset)
                    end = date.fromisoformat(item["check_out"]) + timedelta(days=offset)
                    conn.execute(nights.insert(), [{"room_id": item["room_id"], "night": night,
                                                    "order_line_id": line_id}
                                                   for night in nights_between(start, end)])

    return _run_threads(work, indexes)


def _oversold(app) -> int:
    """Resources sold beyond capacity, or counters that disagree with the live lines."""
    from models import Listing, OrderLine, RoomNight, TourSession, db

    with app.app_context():
        bad = 0
        for tour_session in db.session.scalars(select(TourSession)):
            live = db.session.scalar(select(func.coalesce(func.sum(OrderLine.quantity), 0)).where(
                OrderLine.session_id == tour_session.id, OrderLine.holds_inventory.is_(True),
                OrderLine.kind != "raw"))
            bad += tour_session.reserved > tour_session.capacity or live != tour_session.reserved
        for listing in db.session.scalars(select(Listing).where(Listing.stock.is_not(None))):
            live = db.session.scalar(select(func.coalesce(func.sum(OrderLine.quantity), 0)).where(
                OrderLine.listing_id == listing.id, OrderLine.holds_inventory.is_(True),
                OrderLine.kind != "raw"))
            bad += listing.reserved > listing.stock or live != listing.reserved
        doubled = db.session.execute(select(RoomNight.room_id, RoomNight.night).group_by(
            RoomNight.room_id, RoomNight.night).having(func.count() > 1)).all()
        bad += len(doubled)
        db.session.remove()
        return bad


def _measure(label: str, app) -> dict:
    resources = _seed(app)
    plan = _plan(resources, ORDERS)
    # Rounds alternate checkout and raw inserts, so that load from elsewhere on a shared machine
    # falls on both alike.
    checkout_s = raw_s = 0.0
    ok = sold_out = 0
    for part in range(ROUNDS):
        indexes = list(range(part, len(plan), ROUNDS))
        seconds, placed, gone = _checkout_rate(app, plan, indexes)
        checkout_s, ok, sold_out = checkout_s + seconds, ok + len(placed), sold_out + gone
        raw_s += _raw_rate(app, plan, placed)
    checkout_rate, raw_rate = ok / checkout_s, ok / raw_s
    oversold = _oversold(app)
    ratio = checkout_rate / raw_rate
    print(f"{label:10} checkout {checkout_rate:7.1f} orders/s ({ok} created; {sold_out} sold-out "
          f"attempts apart) | raw insert {raw_rate:7.1f} orders/s | ratio {ratio:5.1%} | "
          f"oversold {oversold}", flush=True)
    return {"checkout_orders_per_s": checkout_rate, "raw_insert_orders_per_s": raw_rate, "ratio": ratio,
            "orders_created": ok, "sold_out_attempts": sold_out, "oversold": oversold}


def main() -> bool:
    from bench import record
    from bench.pg import in_fresh_schema, search_path

    run = record.Run("checkout", parameters={"buyers": BUYERS, "checkout_attempts": ORDERS, "rounds": ROUNDS})
    print(f"{BUYERS} concurrent buyers, {ORDERS} checkouts (tours, homestays, goods), target ≥ "
          f"{TARGET:.0%} of raw inserts, oversold must be 0")
    figures: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        app = _app(f"sqlite:///{folder}/bench.sqlite3", folder)
        figures["sqlite"] = _measure("SQLite", app)
        with app.app_context():
            from models import db

            db.engine.dispose()

    def on_postgresql(url: str, schema: str) -> dict:
        with tempfile.TemporaryDirectory() as folder:
            app = _app(url, folder, {**search_path(schema), "pool_size": BUYERS + 2})
            try:
                return _measure("PostgreSQL", app)
            finally:
                with app.app_context():
                    from models import db

                    db.engine.dispose()

    figures["postgresql"] = in_fresh_schema(os.environ.get("BENCH_DATABASE_URL", "postgresql:///test"),
                                            on_postgresql)
    targets = []
    for name, found in figures.items():
        if "skipped" in found:
            continue
        targets.append(record.target(f"checkout rate ÷ raw insert rate, {name}", f">= {TARGET}",
                                     found["ratio"], found["ratio"] >= TARGET))
        targets.append(record.target(f"oversold, {name}", "0", found["oversold"], found["oversold"] == 0))
    run.write(figures, targets)
    ok = all(t["met"] for t in targets)
    print("target met" if ok else "TARGET MISSED")
    return ok


if __name__ == "__main__":
    main()
