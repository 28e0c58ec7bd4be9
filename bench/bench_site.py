"""Public pages under load: 100 homes, 10,000 listings, gunicorn (2 sync workers, --preload).

Builds a temporary SQLite database with bulk inserts, serves it with gunicorn on 127.0.0.1 and
loads /healthz, the home page, a deep browse page and a listing page with `wrk` (8 connections,
10 s, 3 runs, median). The deep browse page is page 400 as a visitor reaches it: the "next page"
link of page 399 (`page=400&after=<id>`, a keyset seek); the bare `?page=400` (an offset scan,
what a typed or bookmarked URL gets) is measured too and reported without a target. Prints
requests/s, p50 and p99 latency and each page's throughput as a ratio of /healthz (the machine
is shared and noisy, so ratios are what count). Target: the keyset browse page and the listing
page >= 15% of /healthz with p99 < 25 ms. Bounded in time: about three minutes; gunicorn is
always stopped.
"""

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
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOMES, LISTINGS = 100, 10_000
CONNECTIONS, SECONDS, RUNS = 8, 10, 3
TARGET_RATIO, TARGET_P99_MS = 0.15, 25.0
KEYSET, OFFSET = "browse 400 keyset", "browse 400 offset"
TARGETED = (KEYSET, "listing")  # the offset page is shown for comparison only
KINDS = ("tour", "homestay", "produce", "craft")
PROVINCES = [("河北省", "Hebei", "肥乡区", "Feixiang"), ("安徽省", "Anhui", "泾县", "Jing County"),
             ("江西省", "Jiangxi", "余江区", "Yujiang"), ("北京市", "Beijing", "密云区", "Miyun"),
             ("浙江省", "Zhejiang", "安吉县", "Anji")]


def build_database(workdir: Path) -> str:
    """Create the schema and bulk-insert the catalogue; returns the slug of a tour listing."""
    from sqlalchemy import insert

    from market import create_app
    from market.demo.pictures import picture
    from market.uploads import store_image
    from models import Elder, Home, Listing, Photo, Room, TourSession, db, utcnow

    assert KINDS[(LISTINGS // 2) % 4] == "tour"
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "UPLOAD_ROOT": workdir / "uploads",
        "SEARCH_INDEX_DIR": workdir / "search",
    })
    import io

    with app.app_context():
        db.create_all()
        images = [store_image(io.BytesIO(picture("plain", kind, n)), root=workdir / "uploads",
                              max_bytes=8 << 20) for n, kind in enumerate(KINDS)]
        now = utcnow()
        db.session.execute(insert(Home), [
            dict(id=h, slug=f"home-{h}", name_zh=f"第{h}村幸福院", name_en=f"Village {h} Happiness Home",
                 province_zh=p[0], province_en=p[1], county_zh=p[2], county_en=p[3],
                 village_zh=f"第{h}村", village_en=f"Village {h}", story_zh="老人们互相照顾。",
                 story_en="Elders look after each other.", care_share_bps=1500 + (h % 3) * 500,
                 featured=h <= 6, status="active", timezone="Asia/Shanghai", created_at=now)
            for h in range(1, HOMES + 1) for p in [PROVINCES[h % len(PROVINCES)]]
        ])
        db.session.execute(insert(Elder), [
            dict(id=(h - 1) * 3 + e, home_id=h, display_name_zh=f"王奶奶{e}",
                 display_name_en=f"Grandma Wang {e}", role="storyteller", bio_zh="", bio_en="",
                 consent_public=e != 3, incentive_bps=500)
            for h in range(1, HOMES + 1) for e in (1, 2, 3)
        ])
        listings, sessions, rooms, photos = [], [], [], []
        for n in range(1, LISTINGS + 1):
            home_id, kind = (n - 1) % HOMES + 1, KINDS[n % 4]
            goods = kind in ("produce", "craft")
            listings.append(dict(
                id=n, home_id=home_id, kind=kind, slug=f"listing-{n}", status="published",
                featured=n % 50 == 0, title_zh=f"第{n}号好东西", title_en=f"Good thing No. {n}",
                description_zh="村里老人做的。", description_en="Made by the village elders.", tags="",
                price_fen=1000 + n % 300 * 100, currency="CNY", unit_zh="袋" if goods else "",
                unit_en="bag" if goods else "", care_share_bps=None,
                elder_id=(home_id - 1) * 3 + 1 + n % 3, stock=20 if goods else None, reserved=0,
                made_to_order=False, lead_days=None, harvest_date=None, ships_to="河北省,北京市",
                cancel_hours=24, created_at=now, updated_at=now))
            image = images[n % 4]
            photos.append(dict(home_id=home_id, listing_id=n, path=image.path, thumb_path=image.thumb_path,
                               width=image.width, height=image.height, alt_zh="", alt_en="", position=0,
                               created_at=now))
            if kind == "tour":
                sessions += [dict(listing_id=n, starts_at=now + timedelta(days=d), duration_minutes=120,
                                  capacity=12, reserved=0, meeting_point_zh="村口", meeting_point_en="Gate",
                                  elder_id=None) for d in (3, 10, 17, 24)]
            if kind == "homestay":
                rooms += [dict(listing_id=n, name_zh=f"{r}号房", name_en=f"Room {r}", nightly_price_fen=12800,
                               max_guests=2, amenities_zh="", amenities_en="", active=True) for r in (1, 2)]
        for model, rows in ((Listing, listings), (TourSession, sessions), (Room, rooms), (Photo, photos)):
            db.session.execute(insert(model), rows)
        db.session.commit()
        db.engine.dispose()
    return f"listing-{LISTINGS // 2}"  # n % 4 == 0: a tour, the richest listing page


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:.0f} s")


def _next_link(base: str, page: int) -> str:
    """The "next page" link of browse page `page`, as a visitor follows it."""
    with urllib.request.urlopen(f"{base}/browse?page={page}", timeout=30) as response:
        html = response.read().decode("utf-8")
    link = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert f"page={page + 1}" in link and "after=" in link, link
    return link


def _ensure_wrk() -> str | None:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk from Debian's packages ...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], env=env, timeout=300,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return shutil.which("wrk")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    return float(match.group(1)) * _UNITS[match.group(2)]


def _run_wrk(wrk: str, url: str) -> tuple[float, float, float]:
    out = subprocess.run(
        [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "--timeout", "5s", url],
        capture_output=True, text=True, timeout=SECONDS + 30, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    if re.search(r"Non-2xx or 3xx responses", out):
        raise RuntimeError(f"{url} answered errors under load:\n{out}")
    return rps, p50, p99


def _run_python(url: str) -> tuple[float, float, float]:
    """A small closed-loop load generator, used only when wrk cannot be installed."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + SECONDS

    def worker():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        mine = []
        while time.monotonic() < stop:
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{url}: {response.status}")
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SECONDS + 10)
    latencies.sort()
    return (len(latencies) / SECONDS, latencies[len(latencies) // 2],
            latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))])


def _measure(wrk: str | None, url: str) -> tuple[float, float, float]:
    runner = (lambda: _run_wrk(wrk, url)) if wrk else (lambda: _run_python(url))
    urllib.request.urlopen(url, timeout=5).read()  # warm the page once
    results = [runner() for _ in range(RUNS)]
    return tuple(statistics.median(values) for values in zip(*results, strict=True))


def _gunicorn_config(workdir: Path) -> Path:
    """Workers must not share a database connection the master may have opened."""
    config = workdir / "gunicorn_conf.py"
    config.write_text(
        "def post_fork(server, worker):\n"
        "    from market.extensions import db\n"
        "    from wsgi import app\n"
        "    with app.app_context():\n"
        "        db.engine.dispose()\n"
    )
    return config


def main() -> bool:
    from bench import record

    run = record.Run("site", parameters={"homes": HOMES, "listings": LISTINGS, "connections": CONNECTIONS,
                                         "seconds_per_run": SECONDS, "runs": RUNS,
                                         "server": "gunicorn, 2 sync workers, --preload, SQLite"})
    workdir = Path(tempfile.mkdtemp(prefix="bench-site-"))
    server = None
    wrk = None
    try:
        started = time.perf_counter()
        listing_slug = build_database(workdir)
        print(f"built {HOMES} homes and {LISTINGS} listings in {time.perf_counter() - started:.1f} s",
              flush=True)
        wrk = _ensure_wrk()
        print(f"load generator: {wrk or 'python (wrk unavailable)'}; {CONNECTIONS} connections, "
              f"{SECONDS} s per run, median of {RUNS} runs", flush=True)
        port = _free_port()
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}", MARKET_ENV="production",
                   SECRET_KEY=secrets.token_hex(32), UPLOAD_ROOT=str(workdir / "uploads"),
                   SEARCH_INDEX_DIR=str(workdir / "search"), INSTANCE_DIR=str(workdir))
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "2", "--worker-class", "sync", "--preload",
             "--bind", f"127.0.0.1:{port}", "--config", str(_gunicorn_config(workdir)),
             "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=env, start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base + "/healthz")
        pages = [("/healthz", "/healthz"), ("home page", "/"), (KEYSET, _next_link(base, 399)),
                 (OFFSET, "/browse?page=400"), ("listing", f"/listings/{listing_slug}")]
        results = {}
        for name, path in pages:
            results[name] = _measure(wrk, base + path)
            rps, p50, p99 = results[name]
            print(f"  measured {name:<17} {rps:8.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms", flush=True)
    finally:
        if server is not None:
            try:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=5)
        shutil.rmtree(workdir, ignore_errors=True)

    base_rps = results["/healthz"][0]
    print(f"\n{'page':<18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'÷ /healthz':>12}")
    ok = True
    figures: dict = {"load_generator": "wrk" if wrk else "python", "pages": {}}
    targets = []
    for name, (rps, p50, p99) in results.items():
        ratio = rps / base_rps
        figures["pages"][name] = {"path": dict(pages)[name], "requests_per_s": rps, "p50_ms": p50,
                                  "p99_ms": p99, "ratio_to_healthz": ratio}
        verdict = ""
        if name in TARGETED:
            missed = [f"throughput < {TARGET_RATIO:.0%}"] if ratio < TARGET_RATIO else []
            missed += [f"p99 >= {TARGET_P99_MS:.0f} ms"] if p99 >= TARGET_P99_MS else []
            ok = ok and not missed
            verdict = f"  MISSED: {', '.join(missed)}" if missed else "  ok"
            targets.append(record.target(f"{name} req/s ÷ /healthz req/s", f">= {TARGET_RATIO}",
                                         ratio, ratio >= TARGET_RATIO))
            targets.append(record.target(f"{name} p99", f"< {TARGET_P99_MS:.0f} ms",
                                         p99, p99 < TARGET_P99_MS))
        print(f"{name:<18}{rps:>9.0f}{p50:>9.2f}{p99:>9.2f}{ratio:>11.0%}{verdict}")
    run.write(figures, targets)
    return ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
