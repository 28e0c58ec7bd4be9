"""Two web servers and one worker, as a market that outgrew one machine runs (docs/deploy.md).

Started once for this module: two gunicorn servers (config/gunicorn.py) on two ports and one
`flask worker`, all in production mode and sharing one fresh PostgreSQL schema (migrated with
`flask db upgrade`), one Redis database (11: this test's own) and one bucket of the S3 stand-in
(moto's server, tests/s3_server.py). Each process has an instance folder of its own, so nothing
can pass through local disk. The checks go through HTTP only, as a load balancer would send
them: an edit on A is found by search on B, a photo uploaded on A is served by B, a logout on A
ends the session on B, a login throttle counts across both, a checkout race split across A and
B oversells nothing, and the jobs A and B enqueue run once each on the worker.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest
import redis
import requests
from PIL import Image
from sqlalchemy import create_engine, text

from config.settings import database_url
from tests.s3_server import CREDENTIALS, MotoS3, free_port

# One start of the servers for every check: under pytest-xdist (`make test` runs --dist loadgroup)
# the whole module runs on one worker, in order (the jobs check reads the orders of the race).
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("two_servers")]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS_URL = "redis://127.0.0.1:6379/11"
REDIS_LOCK_URL = "redis://127.0.0.1:6379/12"  # outside the database the cluster flushes
RAW_PG_URL = os.environ.get("TEST_DATABASE_URL", "")
PASSWORD = "correct horse battery staple"
LOGIN_LIMIT = 3  # THROTTLE_LOGIN_ACCOUNT below
STOCK, BUYERS = 3, 8
SEARCH_WAIT = 15.0  # seconds: longer than any queue interval a search backend may use
CHECKOUT_FORM = {"contact_name": "李明", "contact_phone": "13812345678", "contact_email": "race@example.com",
                 "provider": "offline", "ship_province": "北京市", "ship_city": "北京",
                 "ship_district": "朝阳区", "ship_street": "幸福路1号"}


# ---- the processes ---------------------------------------------------------------------------

def _run(args: list[str], env: dict) -> None:
    done = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"flask {' '.join(args)}: {done.stdout[-2000:]}{done.stderr[-2000:]}"


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} stopped at start:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} not healthy in {seconds} s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Cluster:
    def __init__(self, workdir: Path, schema: str, s3: MotoS3, bucket: str):
        self.workdir, self.schema = workdir, schema
        self.processes: list[subprocess.Popen] = []
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("JOBS_", "REDIS_", "STRIPE_", "STORAGE_", "THROTTLE_", "SEARCH_"))}
        self.env.update(CREDENTIALS)
        self.env.update(
            FLASK_APP="wsgi.py", MARKET_ENV="production", SECRET_KEY=secrets.token_hex(32),
            SESSION_COOKIE_SECURE="0", HSTS_SECONDS="0",  # plain HTTP on 127.0.0.1
            DATABASE_URL=RAW_PG_URL, PGOPTIONS=f"-csearch_path={schema}",
            REDIS_URL=REDIS_URL, JOBS_IMMEDIATE="0",
            STORAGE_URL=f"s3://{bucket}/market", STORAGE_ENDPOINT_URL=s3.endpoint, STORAGE_REGION="us-east-1",
            LEDGER_SIGNING_KEY_FILE=str(workdir / "ledger-signing.key"),
            SEARCH_BACKEND="postgres", RATELIMIT_ENABLED="1",
            THROTTLE_LOGIN_ACCOUNT=f"{LOGIN_LIMIT} per 15 minutes", THROTTLE_SEARCH="10000 per minute",
            MAIL_BACKEND="console", WEB_CONCURRENCY="2", GUNICORN_GRACEFUL_TIMEOUT="5",
        )
        self.urls: list[str] = []
        self.worker_log = workdir / "worker.log"

    def _own(self, name: str) -> dict:
        folder = self.workdir / name
        folder.mkdir()
        return {**self.env, "INSTANCE_DIR": str(folder)}

    def start(self) -> None:
        from market.ledger.signing import generate

        generate(Path(self.env["LEDGER_SIGNING_KEY_FILE"]))  # what `flask ledger keygen` writes
        _run(["db", "upgrade"], self._own("setup"))
        for name in ("a", "b"):
            port = free_port()
            env = {**self._own(name), "GUNICORN_BIND": f"127.0.0.1:{port}",
                   "GUNICORN_PROC_NAME": f"market-{name}"}
            log = self.workdir / f"{name}.log"
            process = subprocess.Popen([str(BIN / "gunicorn"), "-c", "config/gunicorn.py", "wsgi:app"],
                                       cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
            self.processes.append(process)
            self.urls.append(f"http://127.0.0.1:{port}")
        worker = subprocess.Popen([str(BIN / "flask"), "worker", "--workers", "2"], cwd=ROOT,
                                  env=self._own("worker"), stdout=self.worker_log.open("wb"),
                                  stderr=subprocess.STDOUT)
        self.processes.append(worker)
        for url, process, name in zip(self.urls, self.processes, ("a", "b"), strict=False):
            _wait_healthy(url, process, self.workdir / f"{name}.log")

    def stop(self) -> None:
        for process in self.processes:  # all at once: each may take a while to finish
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            _stop(process)

    def logs(self) -> str:
        return "\n".join(f"---- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(self.workdir.glob("*.log")))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not RAW_PG_URL.startswith("postgres"):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    store = redis.Redis.from_url(REDIS_URL)
    # Two clusters at once would share this Redis database and flush each other's sessions and
    # queue: that happens only when the xdist group was split (see pyproject.toml). Say so.
    running_flag = redis.Redis.from_url(REDIS_LOCK_URL)
    if not running_flag.set("two-servers:running", "1", nx=True, ex=1800):
        pytest.fail("another two-server cluster is running: the xdist_group was split over workers")
    store.flushdb()
    schema = f"t_two_{uuid.uuid4().hex[:12]}"
    engine = create_engine(database_url(RAW_PG_URL))
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    workdir = tmp_path_factory.mktemp("two-servers")
    try:
        with MotoS3() as s3:
            bucket = s3.new_bucket()
            running = Cluster(workdir, schema, s3, bucket)
            try:
                running.start()
                running.s3, running.bucket = s3, bucket
                running.db = create_engine(database_url(RAW_PG_URL),
                                           connect_args={"options": f"-csearch_path={schema}"})
                running.rows = _seed(running.db)
                yield running
            except BaseException:
                print(running.logs())
                raise
            finally:
                running.stop()
                if hasattr(running, "db"):
                    running.db.dispose()
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()
        store.flushdb()
        running_flag.delete("two-servers:running")


def _seed(engine) -> dict:
    """A home, its staff member, a published listing with STOCK units, a buyer account."""
    from sqlalchemy.orm import Session
    from werkzeug.security import generate_password_hash

    from models import Home, Listing, Membership, User

    with Session(engine) as session:
        home = Home(slug="shared-home", name_zh="共享幸福院", name_en="Shared Home", province_zh="河北省",
                    province_en="Hebei", county_zh="肥乡区", county_en="Feixiang", village_zh="测试村",
                    village_en="Test Village", story_zh="故事", story_en="Story", care_share_bps=2000)
        session.add(home)
        session.flush()
        users = {}
        for name in ("staff", "buyer", "guessed"):
            users[name] = User(name=name, email=f"{name}@example.com",
                               password_hash=generate_password_hash(PASSWORD))
            session.add(users[name])
        session.flush()
        session.add(Membership(user_id=users["staff"].id, home_id=home.id, role="staff"))
        listing = Listing(home_id=home.id, kind="produce", slug="shared-tea", status="published",
                          title_zh="高山绿茶", title_en="Mountain green tea", description_zh="描述",
                          description_en="About", price_fen=5000, stock=STOCK, unit_zh="斤", unit_en="jin",
                          ships_to="")
        session.add(listing)
        session.commit()
        return {"home": home.slug, "listing": listing.id, "listing_slug": listing.slug}


# ---- a browser that speaks to one server or the other ---------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_ONCE = re.compile(r'name="form_once" value="([0-9a-f]{32})"')


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def on(self, base: str) -> Browser:
        """The same visitor (same cookies), sent to another server."""
        other = Browser(base)
        other.http.cookies.update(self.http.cookies)
        return other

    def get(self, path: str, **kwargs):
        return self.http.get(self.base + path, allow_redirects=False, timeout=30, **kwargs)

    def post(self, path: str, data: dict | None = None, form_url: str | None = None, **kwargs):
        page = self.get(form_url or path).text
        match = _CSRF.search(page)
        assert match, f"no CSRF token on {form_url or path}"
        once = _ONCE.search(page)
        payload = {"csrf_token": match.group(1), "form_once": once.group(1) if once else uuid.uuid4().hex,
                   **(data or {})}
        return self.http.post(self.base + path, data=payload, allow_redirects=False, timeout=60, **kwargs)

    def login(self, email: str, password: str = PASSWORD):
        return self.post("/login", {"identifier": email, "password": password})


class _FormFields(HTMLParser):
    """The fields of the first form whose action contains `action`, as a browser would send them
    (a form without an action posts to its own page, `path`)."""

    def __init__(self, action: str, path: str = ""):
        super().__init__()
        self.action, self.path, self.inside, self.fields = action, path, False, []
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = self.action in (a.get("action") or self.path) and not self.fields
        if not self.inside or not a.get("name") and tag != "option":
            return
        if tag == "input" and a.get("type") not in ("submit", "button", "file", "image", "reset"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.fields.append((a["name"], a.get("value", "on" if a.get("type") == "checkbox" else "")))
        elif tag == "textarea":
            self._textarea = [a["name"], ""]
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            self.fields.append(tuple(self._textarea))
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self.inside = False


def form_fields(page: str, action: str, path: str = "") -> list[tuple[str, str]]:
    parser = _FormFields(action, path)
    parser.feed(page)
    assert parser.fields, f"no form to {action}"
    return parser.fields


# ---- the checks ------------------------------------------------------------------------------

def test_both_servers_share_the_database_the_cache_the_files_and_the_queue(cluster):
    for url in cluster.urls:
        health = requests.get(f"{url}/healthz", timeout=10).json()
        assert health["status"] == "ok" and health["database"] is True
        assert health["files"] == "s3" and health["cache"] == "redis" and health["jobs"]["storage"] == "redis"


def test_a_listing_edited_on_a_is_found_by_search_on_b(cluster):
    a, b = cluster.urls
    staff = Browser(a)
    assert staff.login("staff@example.com").status_code == 302
    edit = f"/manage/{cluster.rows['home']}/listings/{cluster.rows['listing']}/edit"
    word = "zorblax" + secrets.token_hex(3)
    fields = [(name, f"{value} {word}" if name == "title_en" else value)
              for name, value in form_fields(staff.get(edit).text, "/edit", path=edit)]
    saved = staff.http.post(a + edit, data=fields, allow_redirects=False, timeout=60)
    assert saved.status_code == 302, saved.text[:2000]
    deadline = time.monotonic() + SEARCH_WAIT
    found = False
    while not found and time.monotonic() < deadline:
        found = f"/listings/{cluster.rows['listing_slug']}" in requests.get(
            f"{b}/search", params={"q": word}, timeout=30).text
        time.sleep(0.2)
    assert found, f"the edit on A was not found by search on B within {SEARCH_WAIT} s"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 60)).save(out, "PNG")
    return out.getvalue()


def test_a_photo_uploaded_on_a_is_served_by_b(cluster):
    a, b = cluster.urls
    staff = Browser(a)
    assert staff.login("staff@example.com").status_code == 302
    url = f"/manage/{cluster.rows['home']}/listings/{cluster.rows['listing']}/photos"
    added = staff.post(url, {"alt_zh": "茶园"}, files={"photo": ("tea.png", _png(), "image/png")})
    assert added.status_code == 302, added.text[:2000]
    with cluster.db.connect() as conn:
        path, thumb = conn.execute(text("SELECT path, thumb_path FROM photos ORDER BY id DESC LIMIT 1")).one()
    served = requests.get(f"{b}/media/{path}", timeout=30)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    assert served.content.startswith(b"\xff\xd8") and "max-age=86400" in served.headers["Cache-Control"]
    assert requests.get(f"{b}/media/{thumb}", timeout=30).status_code == 200
    stored = cluster.s3.client().get_object(Bucket=cluster.bucket, Key=f"market/uploads/{path}")
    assert stored["Body"].read() == served.content
    # The page on B shows it too, and no server kept a copy on its own disk.
    assert path in requests.get(f"{b}/listings/{cluster.rows['listing_slug']}", timeout=30).text \
        or thumb in requests.get(f"{b}/listings/{cluster.rows['listing_slug']}", timeout=30).text
    assert not list(cluster.workdir.glob("*/uploads/**/*.jpg"))


def test_a_logout_on_a_ends_the_session_on_b(cluster):
    a, b = cluster.urls
    on_a = Browser(a)
    assert on_a.login("staff@example.com").status_code == 302
    console = f"/manage/{cluster.rows['home']}/"
    copy_on_b = on_a.on(b)  # the same cookie, kept by a second tab that the balancer sends to B
    assert copy_on_b.get(console).status_code == 200
    assert on_a.post("/logout", form_url="/").status_code == 302
    after = copy_on_b.get(console)
    assert after.status_code == 302 and "/login" in after.headers["Location"]


def test_a_login_throttle_counts_across_both_servers(cluster):
    a, b = cluster.urls
    answers = [Browser(url).login("guessed@example.com", "wrong guess").status_code
               for url in (a, b, a, b, a)[: LOGIN_LIMIT + 1]]
    assert 429 not in answers[:LOGIN_LIMIT], answers
    assert answers[LOGIN_LIMIT] == 429, answers  # each server alone has seen at most two
    # Even the right password waits now, on either server.
    assert Browser(b).login("guessed@example.com").status_code == 429


def _orders(cluster) -> list[tuple]:
    with cluster.db.connect() as conn:
        return conn.execute(text(
            "SELECT o.reference, o.status, l.quantity FROM orders o JOIN order_lines l ON l.order_id = o.id "
            "WHERE l.listing_id = :listing"), {"listing": cluster.rows["listing"]}).all()


def test_a_checkout_race_split_across_a_and_b_oversells_nothing(cluster):
    a, b = cluster.urls
    buyers = []
    for n in range(BUYERS):
        buyer = Browser(a)
        added = buyer.post("/cart/add", {"listing_id": cluster.rows["listing"], "quantity": "1"},
                           form_url="/orders")
        assert added.status_code in (302, 303), added.text[:1000]
        page = buyer.get("/checkout").text
        form = {**CHECKOUT_FORM,
                "token": re.search(r'name="token"[^>]*value="([0-9a-f]+)"', page).group(1),
                "expected_total": re.search(r'name="expected_total"[^>]*value="(\d+)"', page).group(1),
                "csrf_token": _CSRF.search(page).group(1)}
        once = _ONCE.search(page)
        form["form_once"] = once.group(1) if once else uuid.uuid4().hex
        buyers.append((buyer.on(b if n % 2 else a), form))
    answers: list[int] = []
    start = threading.Barrier(len(buyers))

    def place(browser: Browser, form: dict) -> None:
        start.wait()
        answers.append(browser.http.post(browser.base + "/checkout", data=form, allow_redirects=False,
                                         timeout=120).status_code)

    threads = [threading.Thread(target=place, args=pair) for pair in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 500 not in answers, answers
    placed = [row for row in _orders(cluster) if row[1] != "cancelled"]
    assert sum(row[2] for row in placed) == STOCK, placed  # every unit sold once, none twice
    assert answers.count(303) + answers.count(302) == STOCK, answers
    with cluster.db.connect() as conn:
        left = conn.scalar(text("SELECT stock - reserved FROM listings WHERE id = :id"),
                           {"id": cluster.rows["listing"]})
    assert left == 0


def test_the_jobs_a_and_b_enqueue_run_once_on_the_worker(cluster):
    """The orders above wrote their confirmation mails to the outbox; A and B put them on the
    Redis queue, and the one worker sent each exactly once (the web servers sent none)."""
    placed = [row for row in _orders(cluster) if row[1] != "cancelled"]
    assert len(placed) == STOCK, "the checkout race placed no orders"
    deadline = time.monotonic() + 60
    while True:
        with cluster.db.connect() as conn:
            jobs = conn.execute(text("SELECT key, status, tries FROM jobs_outbox "
                                     "WHERE args_json LIKE '%race@example.com%'")).all()
        if (jobs and all(status == "done" for _key, status, _tries in jobs)) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert len(jobs) >= STOCK, jobs  # at least one mail per order
    assert all(status == "done" and tries == 1 for _key, status, tries in jobs), jobs
    worker = cluster.worker_log.read_text(errors="replace")
    assert worker.count("mail to race@example.com") == len(jobs), worker[-3000:]
    for reference, _status, _quantity in placed:
        assert reference in worker, reference
    for name in ("a", "b"):
        assert "mail to race@example.com" not in (cluster.workdir / f"{name}.log").read_text(errors="replace")
