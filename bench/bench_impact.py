"""Impact pages at scale: 100 homes, 3 years of daily service records, 100,000 reviews.

Builds HOMES homes, each with RESIDENTS elders served and DAYS days of the dining-table register
(about RECORDS_PER_DAY service records a day), a monthly survey of every elder, 5 listings,
and REVIEWS reviews of fulfilled order lines spread over the homes and the DAYS days; the care
fund's summary gets a month of income and spending per home and month. Rows are written in bulk
and the summaries rebuilt from them (`market.impact.sums.rebuild`, `rebuild_sales`), then
checked equal to their recomputation, as `flask impact verify` does.

Then, through the Flask test client in one loop, reads in turn GET /healthz, GET /impact/<home>
(a different home each read) and GET /admin/impact/ (all homes side by side, as the admin), and
every 10 rounds records one service through `record_service` (the summary's upsert, and the
roll-up's: the admin comparison reads one roll-up row per home, market/impact/rollup.py). Reports
p50/p99 of each page and its ratio to /healthz measured beside it.

SQLite (unless BENCH_SQLITE=0); PostgreSQL too when BENCH_PG_URL (or TEST_DATABASE_URL) is set.
For a quick run: IMPACT_HOMES=10 IMPACT_DAYS=120 IMPACT_REVIEWS=5000 READS=50.
Target: the impact page and the admin comparison under 100 ms p99.
"""

import os
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

HOMES = int(os.environ.get("IMPACT_HOMES", 100))
DAYS = int(os.environ.get("IMPACT_DAYS", 3 * 365))
REVIEWS = int(os.environ.get("IMPACT_REVIEWS", 100_000))
RESIDENTS = int(os.environ.get("IMPACT_RESIDENTS", 10))
RECORDS_PER_DAY = int(os.environ.get("IMPACT_RECORDS_PER_DAY", 8))
READS = int(os.environ.get("READS", 200))
TARGET_MS = 100.0
KINDS = ("tour", "homestay", "produce", "craft")
SERVICE = ("meal", "meal", "meal", "delivered", "visit", "activity")


def _app(url, engine_options=None):
    from market import create_app

    tmp = tempfile.mkdtemp(prefix="bench-impact-")
    return create_app({
        "TESTING": False, "SERVER_NAME": "localhost", "INSTANCE_DIR": tmp, "SEARCH_SYNC": False,
        "UPLOAD_ROOT": os.path.join(tmp, "uploads"), "SEARCH_INDEX_DIR": os.path.join(tmp, "search"),
        "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{tmp}/bench.sqlite3",
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options or {}})


def _insert(model, rows, batch=20_000):
    from models import db

    for first in range(0, len(rows), batch):
        db.session.execute(model.__table__.insert(), rows[first:first + batch])


def _populate() -> dict:
    from market import clock
    from market.fund.public import last_months
    from market.impact import sums
    from market.ledger.accounts import CARE_AVAILABLE, CARE_PENDING
    from models import Home, Listing, Order, OrderLine, User, db
    from models.impact import Resident, Review, ServiceRecord, SurveyResponse
    from models.ledger import CareSum

    rng = random.Random(2020)
    started = time.perf_counter()
    db.create_all()
    today = clock.local_today()
    first_day = today - timedelta(days=DAYS - 1)
    months = last_months(DAYS // 28 + 2, today)
    homes = [Home(slug=f"bench-{n:03d}", name_zh=f"压测{n:03d}村幸福院", name_en=f"Bench Home {n:03d}",
                  province_zh="河北省", province_en="Hebei", county_zh="肥乡区", county_en="Feixiang",
                  village_zh=f"压测{n:03d}村", village_en=f"Bench {n:03d}", care_share_bps=2000)
             for n in range(HOMES)]
    db.session.add_all(homes)
    admin = User(email="admin@bench.example.com", name="admin", password_hash="x", is_admin=True)
    buyers = [User(email=f"buyer{n}@bench.example.com", name=f"买家{n}", password_hash="x")
              for n in range(50)]
    db.session.add_all([admin, *buyers])
    db.session.flush()
    listings = [Listing(home_id=h.id, kind=KINDS[k % 4], slug=f"{h.slug}-{k}", status="published",
                        title_zh=f"商品{k}", title_en=f"Item {k}", price_fen=6000)
                for h in homes for k in range(5)]
    db.session.add_all(listings)
    people = [Resident(home_id=h.id, name=f"老人{r}") for h in homes for r in range(RESIDENTS)]
    db.session.add_all(people)
    db.session.commit()
    by_home: dict[int, list[int]] = {}
    for person in people:
        by_home.setdefault(person.home_id, []).append(person.id)
    records, seen = [], set()
    for home in homes:
        residents = by_home[home.id]
        for offset in range(DAYS):
            day = first_day + timedelta(days=offset)
            for _ in range(RECORDS_PER_DAY):
                key = (rng.choice(residents), day, rng.choice(SERVICE))
                if key in seen:
                    continue
                seen.add(key)
                records.append({"home_id": home.id, "resident_id": key[0], "day": day, "kind": key[2],
                                "source": "import"})
    seen.clear()
    _insert(ServiceRecord, records)
    surveys = [{"home_id": home.id, "resident_id": rid, "month": month, "helped": True,
                **{f"q{q}": rng.randint(2, 5) for q in range(1, 6)}}
               for home in homes for rid in by_home[home.id] for month in months
               if month >= f"{first_day:%Y-%m}"]
    _insert(SurveyResponse, surveys)
    db.session.commit()
    # REVIEWS fulfilled order lines, each reviewed once, over the days and the homes.
    orders, lines, reviews = [], [], []
    now = datetime.now(UTC)
    for n in range(1, REVIEWS + 1):
        listing = listings[rng.randrange(len(listings))]
        buyer = buyers[n % len(buyers)]
        paid = now - timedelta(days=rng.randint(2, DAYS), minutes=rng.randint(0, 1440))
        amount = rng.choice((3000, 6000, 8800, 18800))
        orders.append({"id": n, "reference": f"B{n:09d}", "idempotency_token": f"bench-{n}",
                       "status": "fulfilled", "user_id": buyer.id, "home_id": listing.home_id,
                       "total_fen": amount, "contact_name": "x",
                       "contact_phone": "1", "created_at": paid, "paid_at": paid})
        lines.append({"id": n, "order_id": n, "home_id": listing.home_id, "listing_id": listing.id,
                      "kind": listing.kind, "title": listing.title_zh, "quantity": 1,
                      "unit_price_fen": amount, "amount_fen": amount, "care_share_bps": 2000,
                      "incentive_bps": 0, "platform_fee_bps": 500,
                      "fulfilled_at": paid + timedelta(days=1)})
        reviews.append({"order_line_id": n, "listing_id": listing.id, "home_id": listing.home_id,
                        "user_id": buyer.id, "stars": rng.choice((5, 5, 4, 4, 3, 2)), "body": "好",
                        "reports": 0, "created_at": paid + timedelta(days=2)})
    _insert(Order, orders)
    _insert(OrderLine, lines)
    _insert(Review, reviews)
    # The care fund's summary: a month of sales shares, donations, grants and spending per home.
    care = []
    for home in homes:
        for month in months:
            for kind, category, code, amount in (
                    ("sale", "", CARE_PENDING, -rng.randint(50_00, 500_00)),
                    ("donation", "", CARE_AVAILABLE, -rng.randint(0, 300_00)),
                    ("grant", rng.choice(("township", "village_collective")), CARE_AVAILABLE, -1000_00),
                    ("disbursement", "meals", CARE_AVAILABLE, rng.randint(500_00, 1200_00))):
                care.append({"home_id": home.id, "month": month, "kind": kind, "sold_kind": "",
                             "category": category,
                             "code": code, "commodity": "CNY", "amount": amount, "entries": 1})
    _insert(CareSum, care)
    db.session.commit()
    written = time.perf_counter() - started
    t = time.perf_counter()
    sums.rebuild()
    sums.rebuild_sales()
    db.session.commit()
    rebuilt = time.perf_counter() - t
    t = time.perf_counter()
    assert sums.stored() == sums.recomputed() and sums.stored_sales() == sums.recomputed_sales()
    verified = time.perf_counter() - t
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy import text

        for table in ("orders", "order_lines"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT max(id) FROM {table}))"))
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    print(f"  wrote {len(records):,} service records, {len(surveys):,} surveys, {REVIEWS:,} reviews "
          f"of {HOMES} homes in {written:.0f} s; summaries rebuilt in {rebuilt:.1f} s, "
          f"checked in {verified:.1f} s",
          flush=True)
    return {"homes": HOMES, "days": DAYS, "service_records": len(records), "surveys": len(surveys),
            "reviews": REVIEWS, "write_s": written, "rebuild_s": rebuilt, "recompute_check_s": verified,
            "admin_id": admin.id, "admin_version": admin.session_version, "first_day": first_day.isoformat()}


def _pct(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _report(label, samples, base=None):
    p50, p99 = statistics.median(samples), _pct(samples, 0.99)
    ratio = f"   {p50 / base:5.1f}× /healthz p50" if base else ""
    print(f"  {label:<36} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   (n={len(samples)}){ratio}", flush=True)
    return {"page": label, "p50_ms": p50, "p99_ms": p99, "reads": len(samples)}


def _run(label, url, engine_options=None) -> dict:
    from market.impact import records
    from models import Home, db

    print(f"-- {label}: {HOMES} homes, {DAYS} days, {REVIEWS:,} reviews", flush=True)
    app = _app(url, engine_options)
    with app.app_context():
        figures = _populate()
        slugs = list(db.session.scalars(db.select(Home.slug).order_by(Home.id)))
        home_ids = list(db.session.scalars(db.select(Home.id).order_by(Home.id)))
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{figures.pop('admin_id')}:{figures.pop('admin_version')}"
        session["_fresh"] = True
    assert client.get("/admin/impact/").status_code == 200
    rng = random.Random(7)
    for slug in slugs[:3]:  # warm up: templates compiled, caches filled, as in a running server
        client.get(f"/impact/{slug}")
        client.get("/admin/impact/?sort=meals&order=desc")
        client.get("/healthz")
    timings = {"/healthz": [], "/impact/<home>": [], "/admin/impact/": []}
    today = date.fromisoformat(figures["first_day"]) + timedelta(days=DAYS - 1)
    for n in range(READS):
        if n % 10 == 0:
            with app.app_context():
                home_id = home_ids[n % len(home_ids)]
                resident = db.session.scalar(db.select(db.text("id")).select_from(db.text("impact_residents"))
                                             .where(db.text(f"home_id = {home_id}")).limit(1))
                records.record_service(home_id, resident, today, SERVICE[n % len(SERVICE)], None)
                db.session.remove()
        for name, path in (("/healthz", "/healthz"), ("/impact/<home>", f"/impact/{rng.choice(slugs)}"),
                           ("/admin/impact/", "/admin/impact/?sort=meals&order=desc")):
            t = time.perf_counter()
            response = client.get(path)
            timings[name].append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, (path, response.status_code)
    base = statistics.median(timings["/healthz"])
    figures["pages"] = {name: _report(name, samples, None if name == "/healthz" else base)
                        for name, samples in timings.items()}
    with app.app_context():
        from market.impact import rollup, sums

        period = rollup.current_period()
        rows = {h: values for h, (p, values) in rollup.stored().items() if p == period}
        figures["rollup_rows_current"] = len(rows)
        figures["still_equal_after_writes"] = (sums.stored() == sums.recomputed()
                                               and rows == rollup.from_sums(home_ids, period))
        db.engine.dispose()
    shutil.rmtree(app.config["INSTANCE_DIR"], ignore_errors=True)
    return figures


def main() -> bool:
    from bench import record
    from bench.pg import in_fresh_schema, search_path

    run = record.Run("impact", parameters={"homes": HOMES, "days": DAYS, "reviews": REVIEWS,
                                           "residents": RESIDENTS,
                                           "records_per_day": RECORDS_PER_DAY, "reads": READS})
    figures: dict = {}
    if os.environ.get("BENCH_SQLITE", "1") != "0":
        figures["sqlite"] = _run("SQLite", None)
    pg = os.environ.get("BENCH_PG_URL") or os.environ.get("TEST_DATABASE_URL")
    if pg:
        figures["postgresql"] = in_fresh_schema(
            pg, lambda url, schema: _run("PostgreSQL", url, search_path(schema)))
    else:
        figures["postgresql"] = {"skipped": "BENCH_PG_URL not set"}
    targets = []
    for name, found in figures.items():
        if "skipped" in found:
            continue
        for page in ("/impact/<home>", "/admin/impact/"):
            p99 = found["pages"][page]["p99_ms"]
            targets.append(record.target(f"{page} p99, {name}", f"< {TARGET_MS:.0f} ms", p99,
                                         p99 < TARGET_MS))
        targets.append(record.target(f"summaries equal their recomputation, {name}", "true",
                                     found["still_equal_after_writes"], found["still_equal_after_writes"]))
    for t in targets:
        value = round(t["value"], 1) if isinstance(t["value"], float) else t["value"]
        print(f"  target {t['name']} {t['wanted']}: {value} {'met' if t['met'] else 'MISSED'}")
    run.write(figures, targets)
    return all(t["met"] for t in targets)


if __name__ == "__main__":
    main()
