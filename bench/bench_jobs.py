"""Background jobs (market/jobs): a webhook's latency while Stripe is slow, and the outbox drained
by 2 worker processes on a SQLite-file queue and on Redis, beside bare no-op Huey tasks.

- Webhook: BENCH_WEBHOOKS (200) signed `checkout.session.completed` events are posted to the
  webhook endpoint (the Flask app in this process, through its test client: routing, signature,
  the order and ledger changes, commit, enqueue). Each paid order decides a call to Stripe (the
  processing fee look-up) that is an outbox row for a worker. Each request is timed to the end
  of what its thread does, the enqueue after the answer included (`answered_*`: to the answer
  only). Run twice in one go, with the fake Stripe answering at once and after
  BENCH_SLOW_SECONDS (8 s): p50/p99 of each, and the ratio of the slow run's p99 to the quick
  run's (target: p99 < 50 ms with the slow Stripe). For contrast, BENCH_INLINE (3) events with
  the jobs run in the request's thread after the answer (JOBS_IMMEDIATE, the outbox without a
  queue): the thread waits for Stripe.
- Drain: BENCH_JOBS (10,000) outbox rows, each written and committed as a use case does (and so
  enqueued), then 2 worker processes (`bench_jobs.worker`: the consumer `flask worker --workers
  1 --no-periodic` runs, with this module's no-op task registered too) claim, call and mark
  each done. Each call appends its key and time to a file: jobs/s from the first call to the
  last, 0 lost and 0 done twice (counted by key). The bare rate is the same number of no-op Huey
  tasks (appending to the same kind of file) through the same storage and the same 2 processes.
The app database is a fresh SQLite file; Redis is redis://127.0.0.1:6379/15 (BENCH_REDIS_URL),
flushed before and after; a storage that cannot be reached is skipped and said so.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench import record

JOBS = int(os.environ.get("BENCH_JOBS", "10000"))
WEBHOOKS = int(os.environ.get("BENCH_WEBHOOKS", "200"))
INLINE = int(os.environ.get("BENCH_INLINE", "3"))
SLOW_SECONDS = float(os.environ.get("BENCH_SLOW_SECONDS", "8"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
WORKERS = 2
ROOT = Path(__file__).resolve().parent.parent
LOG = os.environ.get("BENCH_JOBS_LOG", "")  # set for the worker processes: where calls are noted


# ---- what the workers run ------------------------------------------------------------------

def noted(key: str) -> None:
    """The outbox rows' call: note that `key` ran, and when (one line, appended)."""
    with open(LOG, "a", encoding="ascii") as log:
        log.write(f"{key} {time.time():.6f}\n")


def _noop_task():
    from market.jobs.queue import huey

    @huey.task(name="bench.noop")
    def noop(key: str) -> None:
        noted(key)

    return noop


noop = _noop_task()


def worker() -> None:
    """One worker process: the app from the environment (as `flask worker`), this module's
    no-op task registered too, one thread, no schedules."""
    from market import create_app
    from market.jobs.queue import huey

    create_app()
    huey.create_consumer(workers=1, worker_type="thread", periodic=False, check_worker_health=True).run()


# ---- webhook latency -----------------------------------------------------------------------

def _webhooks(folder: Path, delay: float, count: int, immediate: bool) -> dict:
    from bench.bench_webhooks import _seed, _session
    from market import create_app
    from models import db
    from tests.stripe_fake import SECRET_KEY, WEBHOOK_SECRET, FakeStripe, event, signed

    class SlowStripe(FakeStripe):
        def request(self, *args, **kwargs):
            time.sleep(delay)
            return super().request(*args, **kwargs)

    name = f"web-{uuid.uuid4().hex[:6]}"
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / f'{name}.sqlite3'}", "INSTANCE_DIR": folder,
        "SEARCH_INDEX_DIR": folder / "search", "SEARCH_SYNC": False, "SERVER_NAME": "localhost",
        "JOBS_IMMEDIATE": immediate, "JOBS_SQLITE_PATH": folder / f"{name}-jobs.sqlite3",
        "STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_HTTP_CLIENT": SlowStripe(), "STRIPE_MAX_NETWORK_RETRIES": 0,
        "STRIPE_WEBHOOK_TOLERANCE": 3600, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    answered, busy = [], []
    with app.app_context():
        db.create_all()
        rows = _seed(max(count, 30))[:count]  # (every story's order kind, so at least 30)
        db.session.remove()
        for oid, pid, _story, n in rows:
            body, headers = signed(event("checkout.session.completed", _session(oid, pid, n, 8800)))
            started = time.perf_counter()
            response = client.post("/payments/stripe/webhook", data=body, headers=headers)
            response.get_data()
            answered.append(time.perf_counter() - started)  # what Stripe waits for
            response.close()  # what runs after the answer has gone (the enqueue) runs here
            busy.append(time.perf_counter() - started)  # how long the server's thread is taken
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
        from models import OutboxJob

        outbox_rows = db.session.query(OutboxJob).count()
        db.session.remove()
        db.engine.dispose()
    def ms(waits: list[float]) -> tuple[float, float]:
        waits = sorted(waits)
        return statistics.median(waits) * 1000, waits[min(len(waits) - 1, int(len(waits) * 0.99))] * 1000

    (p50, p99), (answer_p50, answer_p99) = ms(busy), ms(answered)
    return {"requests": len(busy), "p50_ms": p50, "p99_ms": p99, "answered_p50_ms": answer_p50,
            "answered_p99_ms": answer_p99, "outbox_rows": outbox_rows}


# ---- draining with 2 worker processes ------------------------------------------------------

def _env(kind: str, folder: Path, database: Path, log: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOBS_", "REDIS_", "STRIPE_"))}
    env.update(FLASK_APP="wsgi.py", MARKET_ENV="development", INSTANCE_DIR=str(folder),
               DATABASE_URL=f"sqlite:///{database}", JOBS_IMMEDIATE="0", SEARCH_SYNC="0",
               JOBS_SQLITE_PATH=str(folder / "jobs.sqlite3"), REDIS_URL=REDIS_URL if kind == "redis" else "",
               BENCH_JOBS_LOG=str(log), PYTHONPATH=str(ROOT))
    return env


def _counted(log: Path) -> list[tuple[str, float]]:
    if not log.exists():
        return []
    lines = log.read_text(encoding="ascii").splitlines()
    return [(key, float(at)) for key, at in (line.split() for line in lines if line.count(" ") == 1)]


def _run_workers(env: dict, log: Path, expected: int, timeout: float) -> tuple[list, float]:
    """Start 2 worker processes on what is queued; wait until `expected` calls are noted (or the
    timeout); stop them. Returns (the noted calls, seconds from the first call to the last)."""
    command = [sys.executable, "-c", "from bench.bench_jobs import worker; worker()"]
    workers = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL) for _ in range(WORKERS)]
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and len(_counted(log)) < expected:
            time.sleep(0.25)
        time.sleep(1.0)  # anything done twice shows up here
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    calls = _counted(log)
    times = [at for _key, at in calls]
    return calls, (max(times) - min(times)) if len(times) > 1 else float("nan")


def _judge(calls: list, keys: list[str]) -> dict:
    counts = collections.Counter(key for key, _at in calls)
    return {"lost": sum(1 for key in keys if counts[key] == 0),
            "done_twice": sum(1 for key in keys if counts[key] > 1)}


def _drain(kind: str, folder: Path) -> dict:
    from huey import RedisHuey, SqliteHuey

    from market import create_app
    from market.jobs import outbox, queue
    from models import OutboxJob, db

    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "market.sqlite3"
    if kind == "redis":
        RedisHuey.storage_class("market", url=REDIS_URL).flush_all()  # raises when Redis is down
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "INSTANCE_DIR": folder,
                      "SEARCH_INDEX_DIR": folder / "search", "SEARCH_SYNC": False, "JOBS_IMMEDIATE": False,
                      "JOBS_SQLITE_PATH": folder / "jobs.sqlite3",
                      "REDIS_URL": REDIS_URL if kind == "redis" else ""})
    storage = queue.huey.storage
    assert isinstance(storage, RedisHuey.storage_class if kind == "redis" else SqliteHuey.storage_class)
    # Bare: no-op tasks through the same storage and the same 2 processes.
    bare_log = folder / "bare.log"
    bare_keys = [f"b{n}" for n in range(JOBS)]
    for key in bare_keys:
        noop(key)
    bare_calls, bare_seconds = _run_workers(_env(kind, folder, database, bare_log), bare_log, JOBS, 1800)
    bare = {"per_s": (len(bare_calls) - 1) / bare_seconds, **_judge(bare_calls, bare_keys)}
    # The outbox: rows written and committed one by one (each enqueued after its commit).
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        keys = [f"k{n}" for n in range(JOBS)]
        for key in keys:
            outbox.later(noted, key, key=key)
            db.session.commit()
        written = time.perf_counter() - started
        db.session.remove()
    log = folder / "outbox.log"
    calls, seconds = _run_workers(_env(kind, folder, database, log), log, JOBS, 1800)
    with app.app_context():
        done = db.session.query(OutboxJob).filter(OutboxJob.status == "done").count()
        db.session.remove()
        db.engine.dispose()
    if kind == "redis":
        storage.flush_all()
    drained = {"per_s": (len(calls) - 1) / seconds, **_judge(calls, keys), "rows_done": done,
               "written_per_s": JOBS / written}
    return {"outbox": drained, "bare_noop": bare, "ratio_outbox_to_bare": drained["per_s"] / bare["per_s"]}


def main() -> bool:
    """`python -m bench jobs` (the module imported once, as bench.bench_jobs: its tasks are named)."""
    import logging

    logging.getLogger("market").setLevel(logging.ERROR)
    run = record.Run("jobs", parameters={"jobs": JOBS, "worker_processes": WORKERS, "webhooks": WEBHOOKS,
                                         "slow_seconds": SLOW_SECONDS, "inline_webhooks": INLINE})
    figures: dict = {}
    targets: list = []
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as tmp:
        folder = Path(tmp)
        quick = _webhooks(folder, 0.0, WEBHOOKS, immediate=False)
        slow = _webhooks(folder, SLOW_SECONDS, WEBHOOKS, immediate=False)
        inline = _webhooks(folder, SLOW_SECONDS, INLINE, immediate=True) if INLINE else None
        figures["webhook"] = {"stripe_quick": quick, "stripe_slow": slow, "inline_stripe_slow": inline,
                              "ratio_p99_slow_to_quick": slow["p99_ms"] / quick["p99_ms"]}
        print(f"webhook, {WEBHOOKS} events: Stripe answering at once p50 {quick['p50_ms']:.1f} ms, "
              f"p99 {quick['p99_ms']:.1f} ms; after {SLOW_SECONDS:.0f} s p50 {slow['p50_ms']:.1f} ms, "
              f"p99 {slow['p99_ms']:.1f} ms (ratio {figures['webhook']['ratio_p99_slow_to_quick']:.2f}); "
              f"outbox rows {slow['outbox_rows']}; to the answer only, p99 {quick['answered_p99_ms']:.1f} "
              f"and {slow['answered_p99_ms']:.1f} ms", flush=True)
        if inline:
            print(f"  for contrast, the call in the request's thread ({INLINE} events): p50 "
                  f"{inline['p50_ms']:.0f} ms", flush=True)
        targets.append(record.target(f"webhook p99 with Stripe answering after {SLOW_SECONDS:g} s", "< 50 ms",
                                     slow["p99_ms"], slow["p99_ms"] < 50))
        for kind in ("sqlite", "redis"):
            try:
                found = _drain(kind, folder / kind)
            except Exception as error:  # noqa: BLE001 - Redis not running: say so, go on
                print(f"{kind}: skipped ({type(error).__name__}: {error})", flush=True)
                figures[kind] = {"skipped": type(error).__name__}
                continue
            figures[kind] = found
            box, bare = found["outbox"], found["bare_noop"]
            print(f"{kind}: outbox {box['per_s']:.0f} jobs/s with {WORKERS} worker processes, bare no-op "
                  f"task {bare['per_s']:.0f}/s (ratio {found['ratio_outbox_to_bare']:.2f}); lost "
                  f"{box['lost']}, done twice {box['done_twice']} (bare: {bare['lost']}, "
                  f"{bare['done_twice']}); rows written {box['written_per_s']:.0f}/s", flush=True)
            targets += [
                record.target(f"{kind}: outbox rows lost", "0", box["lost"], box["lost"] == 0),
                record.target(f"{kind}: outbox rows done twice", "0", box["done_twice"],
                              box["done_twice"] == 0),
                record.target(f"{kind}: rows marked done", f"= {JOBS}", box["rows_done"],
                              box["rows_done"] == JOBS),
            ]
    run.write(figures, targets)
    print(json.dumps({t["name"]: t["met"] for t in targets}))
    return all(t["met"] for t in targets) and bool(targets)
