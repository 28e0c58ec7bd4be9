"""The durable outbox: a call decided in a transaction runs once after its commit, never after a
rollback; a call that raises is retried with back-off and, after the last try, waits for a person;
a worker that died mid-call or a queue that was down loses nothing."""

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from market.jobs import outbox, queue
from market.ledger.verify import verify_ledger
from models import OutboxJob, Refund, db, utcnow
from tests.factories import cancel, paid_by_stripe
from tests.payments.stripe_fixtures import *  # noqa: F403 - fixtures fake, tour and helpers

calls: list = []
failures_left = {"n": 0}


def record(*args):
    calls.append(args)


def flaky(tag):
    if failures_left["n"] > 0:
        failures_left["n"] -= 1
        raise RuntimeError(f"mail server down ({tag})")
    calls.append((tag,))


@pytest.fixture(autouse=True)
def _reset():
    calls.clear()
    failures_left["n"] = 0


def job(key):
    return db.session.scalar(select(OutboxJob).where(OutboxJob.key == key))


def test_a_committed_call_runs_once_and_a_rolled_back_one_never(app):
    outbox.later(record, "kept", 1, key="k-kept")
    db.session.commit()
    outbox.later(record, "dropped", key="k-dropped")
    db.session.rollback()
    assert calls == [("kept", 1)]
    assert job("k-kept").status == "done" and job("k-kept").tries == 1
    assert job("k-dropped") is None
    assert outbox.execute("k-kept") == "skipped"  # a second delivery of the same key does nothing
    assert calls == [("kept", 1)]


def test_the_same_key_is_one_call(app):
    outbox.later(record, "once", key="same")
    outbox.later(record, "once", key="same")
    db.session.commit()
    outbox.later(record, "once", key="same")
    db.session.commit()
    assert calls == [("once",)]
    assert db.session.query(OutboxJob).count() == 1


def test_a_failing_call_backs_off_then_fails_for_a_person_who_can_retry_it(app):
    app.config["JOBS_MAX_TRIES"] = 3
    failures_left["n"] = 99
    outbox.later(flaky, "m", key="flaky")
    db.session.commit()
    row = job("flaky")
    assert (row.status, row.tries) == ("waiting", 1) and "mail server down" in row.last_error
    assert row.run_after > utcnow() + timedelta(seconds=20)  # backs off, not at once
    assert outbox.sweep(0) == 0  # not due yet
    for tries in (2, 3):
        db.session.execute(update(OutboxJob).values(run_after=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert outbox.sweep(0) == 1
        db.session.expire_all()
        assert job("flaky").tries == tries
    row = job("flaky")
    assert row.status == "failed" and calls == []
    assert outbox.sweep(0) == 0  # a failed job is never picked up again by itself
    assert outbox.status()["failed"] == 1
    failures_left["n"] = 0
    assert outbox.retry(row.id)
    db.session.expire_all()
    assert job("flaky").status == "done" and calls == [("m",)]


def test_backoff_doubles_and_is_capped():
    assert [outbox.backoff(t).total_seconds() for t in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert outbox.backoff(30).total_seconds() == 7200


def test_a_worker_that_died_mid_refund_sends_it_once_more_with_the_same_key(app, client, fake, tour):
    """The refund reached Stripe, then the worker was killed before marking the job done: the
    lease runs out, the sweeper runs the job again, Stripe sees the same idempotency key and makes
    no second refund, and the books verify."""
    order = paid_by_stripe(client, fake, tour)
    cancel(order)
    [refund] = db.session.query(Refund).filter_by(order_id=order.id).all()
    [sent] = fake.requests_to("POST", "/v1/refunds")
    row = db.session.scalar(select(OutboxJob).where(OutboxJob.key.like("stripe-refund:%")))
    # As the worker left it: claimed, called, never marked done; Stripe's answer never stored.
    db.session.execute(update(OutboxJob).where(OutboxJob.id == row.id).values(
        status="running", lease_until=utcnow() - timedelta(seconds=1)))
    db.session.execute(update(Refund).where(Refund.id == refund.id).values(provider_ref=None))
    db.session.commit()
    assert outbox.sweep(0) == 1
    db.session.expire_all()
    assert job(row.key).status == "done" and job(row.key).tries == 2
    again = fake.requests_to("POST", "/v1/refunds")
    assert len(again) == 2 and {r.idempotency_key for r in again} == {sent.idempotency_key}
    assert len(fake.refunds) == 1  # one refund at Stripe
    assert db.session.get(Refund, refund.id).provider_ref == sent_ref(fake)
    assert verify_ledger().ok


def sent_ref(fake):
    [ref] = fake.refunds
    return ref


def test_the_nightly_schedule_is_read_on_the_homes_clock():
    nightly = queue.home_crontab(minute="10", hour="0")
    assert nightly(datetime(2026, 12, 4, 16, 10))  # 00:10 in Shanghai (UTC+8)
    assert not nightly(datetime(2026, 12, 4, 0, 10))


def test_healthz_and_jobs_status_report_the_queue(app, client):
    outbox.later(record, "x", key="h")
    db.session.commit()
    body = client.get("/healthz").get_json()
    assert body["jobs"]["done"] == 1 and body["jobs"]["waiting"] == 0
    assert body["jobs"]["storage"] == "immediate"
    result = app.test_cli_runner().invoke(args=["jobs", "status"])
    assert '"done": 1' in result.output


# ---- a real queue: SQLite file and Redis ---------------------------------------------------

@pytest.fixture(params=["sqlite", "redis"])
def real_queue(request, app, tmp_path):
    """The queue on real storage, as a worker reads it (each test its own queue name)."""
    from huey import RedisHuey, SqliteHuey

    name = f"test-{uuid.uuid4().hex[:8]}"
    if request.param == "redis":
        storage = RedisHuey.storage_class(name, url="redis://127.0.0.1:6379/15")
    else:
        storage = SqliteHuey.storage_class(name, filename=str(tmp_path / "jobs.sqlite3"))
    queue.huey._immediate, queue.huey.storage = False, storage
    yield queue.huey
    storage.flush_all()
    queue.configure(app)


def drain(huey) -> int:
    """What one worker does: take each task from the queue and run it."""
    done = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        done += 1
    return done


def test_a_real_queue_runs_each_job_once(app, real_queue):
    for n in range(20):
        outbox.later(record, n, key=f"n{n}")
    db.session.commit()
    assert calls == [] and real_queue.pending_count() == 20
    assert outbox.status()["waiting"] == 20
    db.session.commit()  # the test's read ends; the worker writes
    assert drain(real_queue) == 20
    assert sorted(c[0] for c in calls) == list(range(20))
    outbox.sweep(0)  # nothing left waiting: nothing enqueued twice
    drain(real_queue)
    assert len(calls) == 20 and outbox.status()["done"] == 20


def test_with_the_queue_down_the_change_commits_and_the_sweeper_catches_up(app, real_queue, tmp_path):
    from huey import RedisHuey

    working = real_queue.storage
    real_queue.storage = RedisHuey.storage_class("down", url="redis://127.0.0.1:1/0")  # nothing listens
    outbox.later(record, "late", key="late")
    db.session.commit()  # no error reaches the caller
    assert job("late").status == "waiting"
    assert outbox.status()["queue_length"] is None  # health says the queue is unreachable
    db.session.commit()
    real_queue.storage = working
    assert outbox.sweep() == 0  # younger than a minute: maybe still on its way
    future = utcnow() + timedelta(minutes=2)
    assert outbox.sweep(now=future) == 1
    drain(real_queue)
    assert calls == [("late",)] and job("late").status == "done"



def test_the_admin_sees_a_failed_job_with_its_error_and_tries_it_again(app, client, make):
    from tests.conftest import login, post_form

    app.config["JOBS_MAX_TRIES"] = 1
    failures_left["n"] = 1
    outbox.later(flaky, "admin", key="poisoned")
    db.session.commit()
    row = job("poisoned")
    assert row.status == "failed"
    assert client.get("/admin/jobs").status_code in (302, 401)
    login(client, make.member(make.home()))
    assert client.get("/admin/jobs").status_code == 403
    client.get("/logout")
    admin = client.application.test_client()
    login(admin, make.user(is_admin=True))
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert "mail server down (admin)" in page and "tests.jobs.test_outbox:flaky" in page
    done = post_form(admin, f"/admin/jobs/{row.id}/retry", form_url="/admin/jobs")
    assert done.status_code == 302
    db.session.expire_all()
    assert job("poisoned").status == "done" and calls == [("admin",)]
    again = post_form(admin, f"/admin/jobs/{row.id}/retry", form_url="/admin/jobs", follow_redirects=True)
    assert again.status_code == 200 and calls == [("admin",)]  # a done job is not run twice
    assert post_form(admin, "/admin/jobs/999999/retry", form_url="/admin/jobs").status_code == 302
