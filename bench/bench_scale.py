"""One web server or two: browse and checkout throughput on this machine, as a ratio.

Both layouts share one PostgreSQL schema (BENCH_DATABASE_URL or postgresql:///test, fresh and
dropped afterwards) and one Redis database (BENCH_REDIS_URL, default db 10: queue, throttle
counts and the shared cache), as several servers behind a load balancer do. "One": a gunicorn
server (config/gunicorn.py, WEB_CONCURRENCY workers, default 2). "Two": two such servers on two
ports, the clients alternating between them; and, to tell servers from processes, one server
with twice the workers. Files stay on local disk (browse and checkout read no upload). The load:
CLIENTS Python threads for SECONDS each, RUNS rounds with the layouts interleaved (median):
browse (a browse page, then a listing page) and checkout (a guest's whole checkout: the cart
form, add to cart, the checkout page, place the order; offline payment). Afterwards the orders'
units must equal the listings' reserved units (oversold 0).

The point is the cost of sharing, not a speed-up: on 2 cores, with the clients, PostgreSQL and
Redis on the same cores (and other work on the machine), a second server adds processes, not
CPU. Reported: requests/s and orders/s of each layout and "two ÷ one". No target on the ratio;
the one target is correctness (nothing oversold, no server error).

`make bench BENCH=scale` (about 4 minutes; skipped without PostgreSQL or Redis)
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench import record

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CLIENTS = int(os.environ.get("BENCH_SCALE_CLIENTS", 8))
SECONDS = float(os.environ.get("BENCH_SCALE_SECONDS", 10))
RUNS = int(os.environ.get("BENCH_SCALE_RUNS", 3))
WORKERS = int(os.environ.get("WEB_CONCURRENCY", 2))
LISTINGS = 200
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_ONCE = re.compile(r'name="form_once" value="([0-9a-f]{32})"')
_TOKEN = re.compile(r'name="token"[^>]*value="([0-9a-f]+)"')
_TOTAL = re.compile(r'name="expected_total"[^>]*value="(\d+)"')
CONTACT = {"contact_name": "李明", "contact_phone": "13812345678", "contact_email": "bench@example.com",
           "provider": "offline", "ship_province": "北京市", "ship_city": "北京", "ship_district": "朝阳区",
           "ship_street": "幸福路1号"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _seed(url: str, schema: str) -> list[tuple[int, str]]:
    """Schema and rows: one home, LISTINGS goods with plenty of stock. Returns (id, slug)."""
    from market import create_app
    from models import Home, Listing, db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                      "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}}})
    with app.app_context():
        db.create_all()
        home = Home(slug="bench-home", name_zh="测试幸福院", name_en="Bench Home", province_zh="河北省",
                    province_en="Hebei", county_zh="肥乡区", county_en="Feixiang", village_zh="测试村",
                    village_en="Bench Village", story_zh="故事", story_en="Story", care_share_bps=2000)
        db.session.add(home)
        db.session.flush()
        rows = [Listing(home_id=home.id, kind="produce", slug=f"bench-{n}", status="published",
                        title_zh=f"高山绿茶{n}", title_en=f"Green tea {n}", description_zh="描述",
                        description_en="About", price_fen=1000 + n, stock=1_000_000, unit_zh="斤",
                        unit_en="jin")
                for n in range(LISTINGS)]
        db.session.add_all(rows)
        db.session.commit()
        found = [(row.id, row.slug) for row in rows]
        db.engine.dispose()
    return found


def _start(env: dict, port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "config/gunicorn.py", "wsgi:app"], cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESS_LOG": "",
             "GUNICORN_LOG_LEVEL": "warning"},
        stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    import requests

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log.read_text()[-2000:])
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                return process
        except requests.RequestException:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn on {port} did not answer in 120 s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _browse(http, base: str, listings, n: int) -> int:
    _id, slug = listings[n % len(listings)]
    for path in (f"/browse?page={1 + n % 5}", f"/listings/{slug}"):
        response = http.get(base + path, timeout=60)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code}")
    return 2


def _checkout(http, base: str, listings, n: int) -> int:
    http.cookies.clear()  # a new guest each time
    listing_id, _slug = listings[n % len(listings)]
    page = http.get(base + "/orders", timeout=60).text
    once = _ONCE.search(page)
    added = http.post(base + "/cart/add", data={
        "csrf_token": _CSRF.search(page).group(1), "listing_id": listing_id, "quantity": "1",
        "form_once": once.group(1) if once else uuid.uuid4().hex}, allow_redirects=False, timeout=60)
    if added.status_code not in (302, 303):
        raise RuntimeError(f"cart: {added.status_code}")
    page = http.get(base + "/checkout", timeout=60).text
    once = _ONCE.search(page)
    placed = http.post(base + "/checkout", data={
        **CONTACT, "csrf_token": _CSRF.search(page).group(1), "token": _TOKEN.search(page).group(1),
        "expected_total": _TOTAL.search(page).group(1),
        "form_once": once.group(1) if once else uuid.uuid4().hex}, allow_redirects=False, timeout=60)
    if placed.status_code not in (302, 303):
        raise RuntimeError(f"checkout: {placed.status_code}")
    return 1


def _load(bases: list[str], work, listings) -> tuple[float, int]:
    """CLIENTS threads, each on one server (alternating), for SECONDS: units done per second."""
    import requests

    done, errors, lock = [0], [0], threading.Lock()
    stop_at = time.perf_counter() + SECONDS

    def client(number: int) -> None:
        http = requests.Session()
        base = bases[number % len(bases)]
        n = number
        while time.perf_counter() < stop_at:
            try:
                units = work(http, base, listings, n)
            except Exception:  # noqa: BLE001 - counted, reported
                with lock:
                    errors[0] += 1
                continue
            with lock:
                done[0] += units
            n += CLIENTS

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(number,)) for number in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / (time.perf_counter() - started), errors[0]


def main():
    import redis
    from sqlalchemy import create_engine, text

    from config.settings import database_url

    run = record.Run("scale", parameters={"clients": CLIENTS, "seconds": SECONDS, "runs": RUNS,
                                          "workers_per_server": WORKERS, "listings": LISTINGS})
    raw_url = os.environ.get("BENCH_DATABASE_URL", "postgresql:///test")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
    url = database_url(raw_url)
    schema = f"bench_scale_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        redis.Redis.from_url(redis_url).flushdb()
    except Exception as error:  # noqa: BLE001 - no PostgreSQL or no Redis here
        print(f"bench scale skipped: {error.__class__.__name__}: {error}")
        run.write({"skipped": error.__class__.__name__}, [])
        return None
    workdir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    servers: list[subprocess.Popen] = []
    figures: dict = {}
    errors = 0
    try:
        listings = _seed(url, schema)
        key = workdir / "ledger-signing.key"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JOBS_", "STORAGE_", "THROTTLE_"))}
        env.update(FLASK_APP="wsgi.py", MARKET_ENV="development", SECRET_KEY=secrets.token_hex(32),
                   DATABASE_URL=raw_url, PGOPTIONS=f"-csearch_path={schema}", REDIS_URL=redis_url,
                   JOBS_IMMEDIATE="0", RATELIMIT_ENABLED="0", LEDGER_SIGNING_KEY_FILE=str(key),
                   INSTANCE_DIR=str(workdir), WEB_CONCURRENCY=str(WORKERS), GUNICORN_THREADS="1")
        env.pop("DEBUG", None)
        subprocess.run([str(BIN / "flask"), "ledger", "keygen", "--if-missing"], cwd=ROOT, env=env,
                       check=True, capture_output=True, timeout=120)
        env["MARKET_ENV"] = "production"
        env.update(SESSION_COOKIE_SECURE="0", HSTS_SECONDS="0")
        ports = [_free_port(), _free_port(), _free_port()]
        for number, port in enumerate(ports):  # the third: one server with as many workers as two
            workers = str(WORKERS * (2 if number == 2 else 1))
            servers.append(_start({**env, "WEB_CONCURRENCY": workers}, port, workdir / f"server{number}.log"))
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for kind, work in (("browse", _browse), ("checkout", _checkout)):
            _load(bases, work, listings[:20])  # warm both servers up
            layouts = (("one", bases[:1]), ("two", bases[:2]), ("one, twice the workers,", bases[2:]))
            rates: dict[str, list[float]] = {layout: [] for layout, _used in layouts}
            for _ in range(RUNS):  # interleaved, so a change in the machine's load hits each layout
                for layout, used in layouts:
                    rate, failed = _load(used, work, listings)
                    rates[layout].append(rate)
                    errors += failed
            for layout, found in rates.items():
                figures[f"{kind} {layout} server"] = statistics.median(found)
            ratio = figures[f"{kind} two server"] / figures[f"{kind} one server"]
            figures[f"{kind} two ÷ one"] = ratio
            unit = "requests/s" if kind == "browse" else "orders/s"
            one, two = figures[f"{kind} one server"], figures[f"{kind} two server"]
            big = figures[f"{kind} one, twice the workers, server"]
            figures[f"{kind} one with twice the workers ÷ one"] = big / one
            print(f"{kind:8} one server {one:7.1f} {unit}   two servers {two:7.1f} {unit}   "
                  f"two ÷ one {ratio:.2f}   (one server, {2 * WORKERS} workers: {big / one:.2f})", flush=True)
        with admin.connect() as conn:
            conn.execute(text(f"SET search_path TO {schema}"))
            sold = conn.scalar(text("SELECT coalesce(sum(quantity), 0) FROM order_lines"))
            reserved = conn.scalar(text("SELECT coalesce(sum(reserved), 0) FROM listings"))
        figures["orders' units"], figures["reserved units"] = int(sold), int(reserved)
        figures["client errors"] = errors
    finally:
        for server in servers:
            _stop(server)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
        redis.Redis.from_url(redis_url).flushdb()
        shutil.rmtree(workdir, ignore_errors=True)
    sold, reserved = figures["orders' units"], figures["reserved units"]
    print(f"units ordered {sold}, reserved {reserved}, client errors {errors}", flush=True)
    oversold = sold - reserved
    targets = [record.target("oversold units (ordered − reserved)", "0", oversold, oversold == 0),
               record.target("failed requests", "0", errors, errors == 0)]
    run.write(figures, targets)
    ok = all(t["met"] for t in targets)
    print("targets met" if ok else "TARGET MISSED")
    return ok


if __name__ == "__main__":
    main()
