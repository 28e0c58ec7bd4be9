"""Faults with real processes and real storage: a `flask worker` killed with SIGKILL in the middle
of a refund call to (a fake) Stripe, and Redis down while buyers place orders and are refunded.

The worker runs as its own process on the test's database, reads the queue from a SQLite file,
and calls the fake Stripe served on a local port (tests/stripe_server.py), which keeps the
answers it gave per idempotency key as Stripe does."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey
from sqlalchemy import select

from market.jobs import outbox, queue
from market.ledger.verify import verify_ledger
from models import Order, OutboxJob, Refund, db, utcnow
from tests.conftest import post_form
from tests.factories import add_on_page, cancel, check_out_on_page, paid_by_stripe
from tests.payments.stripe_fixtures import *  # noqa: F403 - the fixtures fake and tour
from tests.payments.stripe_fixtures import post_event
from tests.stripe_fake import SECRET_KEY, WEBHOOK_SECRET, event
from tests.stripe_server import FakeStripeServer

ROOT = Path(__file__).resolve().parents[2]
REDIS_DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1
REDIS_BACK = "redis://127.0.0.1:6379/13"  # the tests' own database number


def _worker_env(app, tmp_path: Path, stripe_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOBS_", "REDIS_", "STRIPE_"))}
    env.update(
        FLASK_APP="wsgi.py", MARKET_ENV="development", INSTANCE_DIR=str(tmp_path / "worker"),
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], JOBS_IMMEDIATE="0",
        JOBS_SQLITE_PATH=str(tmp_path / "jobs.sqlite3"), JOBS_LEASE_SECONDS="2",
        STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, STRIPE_API_BASE=stripe_url,
        STRIPE_MAX_NETWORK_RETRIES="0", STRIPE_TIMEOUT="60", SEARCH_SYNC="0", RATELIMIT_ENABLED="0",
        REDIS_URL="",
    )
    options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("connect_args", {}).get("options")
    if options:  # PostgreSQL: the test's own schema
        env["PGOPTIONS"] = options
    return env


def _start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "worker", "--workers", "1", "--no-periodic"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _stop(worker: subprocess.Popen) -> str:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    return worker.stdout.read().decode(errors="replace")[-3000:]


def _job(key: str) -> OutboxJob:
    db.session.expire_all()
    row = db.session.scalar(select(OutboxJob).where(OutboxJob.key == key))
    db.session.commit()  # the test's read ends: the worker writes
    return row


@pytest.mark.slow
def test_a_worker_killed_mid_refund_leaves_exactly_one_refund_at_stripe(app, client, fake, tour, tmp_path):
    order = paid_by_stripe(client, fake, tour)  # jobs of the payment run at once (immediate)
    fake.probe = None  # the worker's transactions are its own business
    with FakeStripeServer(fake) as server:
        server.delays["/v1/refunds"] = 120  # done at Stripe, then the answer waits
        # From here the queue is a SQLite file that `flask worker` reads, as in production.
        app.config["JOBS_IMMEDIATE"] = False
        queue.huey._immediate = False
        queue.huey.storage = SqliteHuey.storage_class("market", filename=str(tmp_path / "jobs.sqlite3"))
        try:
            cancel(order)  # the refund row and its outbox row commit; the key goes on the queue
            [refund] = db.session.scalars(select(Refund).where(Refund.order_id == order.id)).all()
            key = f"stripe-refund:{refund.id}:{refund.idempotency_key}"
            assert _job(key).status == "waiting" and queue.huey.pending_count() >= 1  # (and a mail)
            env = _worker_env(app, tmp_path, server.url)
            first = _start_worker(env)
            try:
                assert server.arrived.wait(90), _stop(first)
                first.send_signal(signal.SIGKILL)  # kill -9, mid-call
                first.wait(timeout=20)
            finally:
                _stop(first)
            row = _job(key)
            assert (row.status, row.tries) == ("running", 1)  # claimed, never finished
            assert db.session.get(Refund, refund.id).provider_ref is None
            db.session.commit()
            server.delays.clear()
            time.sleep(2.5)  # the lease (JOBS_LEASE_SECONDS=2) runs out
            assert outbox.sweep(0) >= 1  # the minute's sweeper: the job waits again, enqueued (the mail too)
            second = _start_worker(env)
            try:
                deadline = time.monotonic() + 90
                while _job(key).status != "done" and time.monotonic() < deadline:
                    time.sleep(0.3)
                assert _job(key).status == "done", _stop(second)
            finally:
                _stop(second)
        finally:
            app.config["JOBS_IMMEDIATE"] = True
            queue.configure(app)
    sent = fake.requests_to("POST", "/v1/refunds")
    assert len(sent) == 2 and len({r.idempotency_key for r in sent}) == 1  # the same key, twice
    assert len(fake.refunds) == 1  # one refund at Stripe
    [stripe_refund] = fake.refunds
    db.session.expire_all()
    assert db.session.get(Refund, refund.id).provider_ref == stripe_refund
    assert _job(key).tries == 2
    post_event(client, event("refund.updated", fake.settle_refund(stripe_refund)))
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "refunded"
    assert db.session.scalars(select(Refund).where(Refund.order_id == order.id)).all() == [
        db.session.get(Refund, refund.id)]
    assert db.session.get(Refund, refund.id).status == "succeeded"
    assert verify_ledger().ok
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output


ALARMING = ("error", "problem", "unavailable", "went wrong", "出错", "错误", "故障")


def _calm(response) -> str:
    text = response.get_data(as_text=True)
    body = text[text.find("<main"):text.find("</main>")] if "<main" in text else text
    found = [word for word in ALARMING if word in body.lower()]
    assert not found, f"alarming words {found} on a buyer's page"
    return text


@pytest.mark.slow
@pytest.mark.throttles
def test_with_redis_down_pages_commit_and_answer_calmly_then_a_worker_catches_up(
        app, client, make, fake, tour, tmp_path, english, caplog):
    from limits.storage import storage_from_string
    from limits.strategies import FixedWindowRateLimiter

    paid = paid_by_stripe(client, fake, tour)  # paid while the queue still runs jobs at once
    rice = make.listing(tour.listing.home, "produce", stock=5)
    # Redis goes down: the queue and the throttles' counts both live there.
    app.config.update(REDIS_URL=REDIS_DOWN, JOBS_IMMEDIATE=False)
    queue.configure(app)
    throttles = app.extensions["throttles"]
    throttles.storage = storage_from_string(REDIS_DOWN)
    throttles.strategy = FixedWindowRateLimiter(throttles.storage)
    back = RedisHuey.storage_class("market", url=REDIS_BACK)
    back.flush_all()
    try:
        # A buyer places an order (its "order received" mail is an outbox row).
        assert add_on_page(client, rice, quantity="2").status_code == 302
        placed, _token = check_out_on_page(client)
        assert placed.status_code == 302, placed.get_data(as_text=True)[:400]
        _calm(client.get(placed.location))
        [order] = db.session.scalars(select(Order).where(Order.id != paid.id)).all()
        assert order.status == "pending_payment"
        # The Stripe buyer cancels and is refunded (a refund call and a mail: outbox rows).
        with client.session_transaction() as session:
            session["guest_orders"] = [order.reference, paid.reference]
        page = f"/orders/{paid.reference}"
        cancelled = post_form(client, f"{page}/cancel", {"reason": "plans changed", "confirm": "y"},
                              form_url=page)
        assert cancelled.status_code == 302
        _calm(client.get(cancelled.location))
        # The throttled pages (search, order look-up) still answer: the throttles fail open.
        assert client.get("/search?q=rice").status_code == 200
        lookup = post_form(client, "/orders/lookup", {"reference": "NOPE1234", "phone": "13800000000"},
                           form_url="/orders")
        assert lookup.status_code == 404
        assert "throttle" in caplog.text and "not enqueued" in caplog.text
        db.session.expire_all()
        assert db.session.get(Order, paid.id).status == "cancelled"  # its refund requested, not yet sent
        waiting = db.session.scalars(select(OutboxJob).where(OutboxJob.status == "waiting")).all()
        keys = {row.key for row in waiting}
        assert any(k.startswith("stripe-refund:") for k in keys)
        assert sum(k.startswith("mail:") for k in keys) >= 2  # order received; cancelled
        assert all(row.tries == 0 for row in waiting) and fake.requests_to("POST", "/v1/refunds") == []
        db.session.commit()
        # Redis is back: the sweeper enqueues what waited, a worker process runs it.
        queue.huey.storage = back
        assert outbox.sweep(now=utcnow() + timedelta(minutes=2)) == len(waiting)
        fake.probe = None
        with FakeStripeServer(fake) as server:
            env = {**_worker_env(app, tmp_path, server.url), "REDIS_URL": REDIS_BACK}
            worker = _start_worker(env)
            try:
                deadline = time.monotonic() + 90
                while time.monotonic() < deadline and any(_job(k).status != "done" for k in keys):
                    time.sleep(0.3)
                assert all(_job(k).status == "done" for k in keys), _stop(worker)
            finally:
                _stop(worker)
    finally:
        back.flush_all()
        app.config.update(REDIS_URL="", JOBS_IMMEDIATE=True)
        queue.configure(app)
    assert all(_job(k).tries == 1 for k in keys)  # each job ran once
    assert len(fake.requests_to("POST", "/v1/refunds")) == 1 and len(fake.refunds) == 1
    [stripe_refund] = fake.refunds
    post_event(client, event("refund.updated", fake.settle_refund(stripe_refund)))
    db.session.expire_all()
    assert db.session.get(Order, paid.id).status == "refunded"
    assert verify_ledger().ok
