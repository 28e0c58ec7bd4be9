"""Background jobs: the outbox drained by 2 workers, on a SQLite-file queue and on Redis, beside a
bare no-op Huey task rate in the same run; and what a commit that decides a slow outside call
waits for.

- Drain: BENCH_JOBS (10,000) outbox rows are written (one transaction each, as use cases do) and
  enqueued, then 2 worker threads take them from the queue and run them (claim with a lease, call,
  mark done). Every call records its key: 0 lost and 0 done twice are targets. The bare rate is
  the same number of no-op Huey tasks through the same storage, without the outbox.
- Slow call: BENCH_SLOW_CALLS (50) commits each decide a call to a service answering after
  BENCH_SLOW_SECONDS (8 s, as Stripe did on a bad day); the time to commit and enqueue is
  measured (p99 < 50 ms), the calls are left to a worker thread and not waited for.
The app database is a fresh SQLite file; Redis is redis://127.0.0.1:6379/15 (BENCH_REDIS_URL).
"""

import collections
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench import record

JOBS = int(os.environ.get("BENCH_JOBS", "10000"))
SLOW_CALLS = int(os.environ.get("BENCH_SLOW_CALLS", "50"))
SLOW_SECONDS = float(os.environ.get("BENCH_SLOW_SECONDS", "8"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
WORKERS = 2
done_keys: collections.Counter = collections.Counter()
_lock = threading.Lock()


def noted(key: str) -> None:
    """The outbox's call: note that `key` ran."""
    with _lock:
        done_keys[key] += 1


def slow_call(_n: int) -> None:
    time.sleep(SLOW_SECONDS)


def _storage(kind: str, folder: Path):
    from huey import RedisHuey, SqliteHuey

    name = f"bench-{uuid.uuid4().hex[:8]}"
    if kind == "redis":
        return RedisHuey.storage_class(name, url=REDIS_URL)
    return SqliteHuey.storage_class(name, filename=str(folder / f"{name}.sqlite3"))


def _drain(huey, expected: int, timeout: float = 1800) -> float:
    """2 threads take tasks from the queue and run them until `expected` have run; seconds."""
    count = [0]
    stop = threading.Event()

    def work():
        while not stop.is_set():
            task = huey.dequeue()
            if task is None:
                if count[0] >= expected:
                    return
                time.sleep(0.005)
                continue
            huey.execute(task)
            with _lock:
                count[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    deadline = started + timeout
    while count[0] < expected and time.perf_counter() < deadline:
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _bare_rate(huey, storage) -> float:
    @huey.task(name=f"bench.noop.{uuid.uuid4().hex[:6]}")
    def noop():
        return None

    huey.storage = storage
    for _ in range(JOBS):
        noop()
    return JOBS / _drain(huey, JOBS)


def _outbox_rate(app, huey, storage) -> dict:
    from market.jobs import outbox
    from models import OutboxJob, db

    huey.storage = storage
    done_keys.clear()
    with app.app_context():
        db.session.query(OutboxJob).delete()
        db.session.commit()
        for n in range(JOBS):
            outbox.later(noted, f"k{n}", key=f"k{n}")
            db.session.commit()
        db.session.remove()
    seconds = _drain(huey, JOBS)
    with app.app_context():
        status = outbox.status()
    lost = sum(1 for n in range(JOBS) if done_keys[f"k{n}"] == 0)
    twice = sum(1 for count in done_keys.values() if count > 1)
    return {"jobs_per_s": JOBS / seconds, "lost": lost, "done_twice": twice, "rows_done": status["done"]}


def _slow_commits(app, huey, storage) -> dict:
    from market.jobs import outbox
    from models import db

    huey.storage = storage
    waits = []
    with app.app_context():
        for n in range(SLOW_CALLS):
            started = time.perf_counter()
            outbox.later(slow_call, n)
            db.session.commit()
            waits.append(time.perf_counter() - started)
    waits.sort()
    p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
    storage.flush_all()  # the slow calls are a worker's business, not the page's
    return {"p50_ms": waits[len(waits) // 2] * 1000, "p99_ms": p99 * 1000}


def main() -> bool:
    from market import create_app
    from market.jobs import queue
    from models import db

    run = record.Run("jobs", parameters={"jobs": JOBS, "workers": WORKERS, "slow_calls": SLOW_CALLS,
                                         "slow_seconds": SLOW_SECONDS})
    folder = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'market.sqlite3'}",
                      "INSTANCE_DIR": folder, "SEARCH_INDEX_DIR": folder / "search", "JOBS_IMMEDIATE": False,
                      "SEARCH_SYNC": False})
    with app.app_context():
        db.create_all()
    huey = queue.huey
    figures, targets = {}, []
    for kind in ("sqlite", "redis"):
        try:
            bare = _bare_rate(huey, _storage(kind, folder))
        except Exception as error:  # noqa: BLE001 - Redis not running: say so, go on
            print(f"{kind}: queue unavailable ({error})")
            continue
        drained = _outbox_rate(app, huey, _storage(kind, folder))
        slow = _slow_commits(app, huey, _storage(kind, folder))
        figures[kind] = {"bare_noop_per_s": bare, **drained, "slow_call_commit": slow}
        print(f"{kind}: outbox {drained['jobs_per_s']:.0f} jobs/s with {WORKERS} workers, bare no-op "
              f"task {bare:.0f}/s (ratio {drained['jobs_per_s'] / bare:.2f}); lost {drained['lost']}, "
              f"done twice {drained['done_twice']}; a commit deciding an {SLOW_SECONDS:.0f} s call: "
              f"p50 {slow['p50_ms']:.1f} ms, p99 {slow['p99_ms']:.1f} ms", flush=True)
        targets += [
            record.target(f"{kind}: outbox rows lost", "0", drained["lost"], drained["lost"] == 0),
            record.target(f"{kind}: outbox rows done twice", "0", drained["done_twice"],
                          drained["done_twice"] == 0),
            record.target(f"{kind}: commit deciding a slow call, p99", "< 50 ms", slow["p99_ms"],
                          slow["p99_ms"] < 50),
        ]
    run.write(figures, targets)
    return all(t["met"] for t in targets) and bool(targets)
