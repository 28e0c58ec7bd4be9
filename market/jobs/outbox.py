"""The durable outbox: calls to the outside world decided inside a transaction, made after it.

A use case calls `later(func, *args, key=...)`: a `jobs_outbox` row is written in the same
transaction as the change that needs the call, so both commit or neither does. After the commit
the row's key is enqueued on the task queue (`market.jobs.queue`); a worker claims the row with a
lease, calls `func(*args)` in an application context of its own, and marks it done. A call that
raises is tried again with exponential back-off; after JOBS_MAX_TRIES tries the row is `failed`
and waits for a person (/admin/jobs, `flask jobs retry`). A crash between the commit and the
enqueue, a worker killed mid-call (its lease runs out) or a queue that was down loses nothing:
`sweep` (every minute) enqueues what is still waiting. Calls are therefore at least once: each
`func` checks the database again and sends with an idempotency key.

`key` de-duplicates: a second `later` with a key already written is dropped. Without one, every
call is its own row.
"""

from __future__ import annotations

import importlib
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session

from market.database import insert_on_conflict
from market.jobs.queue import app_context, huey
from models import db, utcnow
from models.jobs import JobStatus, OutboxJob, WorkerBeat

log = logging.getLogger(__name__)
KEYS = "market.jobs.keys"  # session.info: keys written in the open transaction
_held: ContextVar[list | None] = ContextVar("market_jobs_held", default=None)


def later(call, *args, key: str | None = None) -> None:
    """Write a row that makes `call(*args)` after the current transaction commits (args: JSON)."""
    task = f"{call.__module__}:{call.__qualname__}"
    if key is None:
        key = f"{task}:{uuid.uuid4().hex}"
    elif db.session.scalar(select(OutboxJob.id).where(OutboxJob.key == key)) is not None:
        return
    db.session.add(OutboxJob(key=key[:200], task=task, args_json=json.dumps(args),
                             status=JobStatus.WAITING, run_after=utcnow()))
    db.session.info.setdefault(KEYS, []).append(key[:200])


@contextmanager
def holding() -> Iterator[list]:
    """Keep what commits inside the block from being enqueued; the caller enqueues the keys it
    gets (e.g. a webhook after its response has been sent, so it never waits on a worker)."""
    held: list = []
    token = _held.set(held)
    try:
        yield held
    finally:
        _held.reset(token)


def enqueue(keys) -> None:
    """Put each key on the task queue; a queue that is down is logged, and `sweep` retries."""
    for key in keys:
        try:
            run_job(key)
        except Exception:  # noqa: BLE001 - the row is committed; the sweeper enqueues it later
            log.warning("job %s not enqueued (queue unavailable); the sweeper will", key, exc_info=True)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    if session.in_nested_transaction():  # a savepoint released: the rows are not committed yet
        return
    keys = session.info.pop(KEYS, None)
    if not keys:
        return
    held = _held.get()
    if held is not None:
        held.extend(keys)
    else:
        enqueue(keys)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction):
    # Only the outermost rollback drops the keys: its rows are gone. A savepoint rolled back
    # inside a use case that goes on to commit keeps them (a key whose row is gone is skipped).
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(KEYS, None)


# ---- the worker's side --------------------------------------------------------------------

@huey.task(name="jobs.run")
def run_job(key: str) -> str:
    with app_context():
        return execute(key)


def backoff(tries: int) -> timedelta:
    """30 s, 1 min, 2 min, … doubling after each failed try, at most 2 hours."""
    return timedelta(seconds=min(30 * 2 ** max(tries - 1, 0), 7200))


def resolve(task: str):
    module, _, name = task.partition(":")
    target = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def execute(key: str) -> str:
    """Claim the row `key` and make its call (the caller provides the app context). Returns
    'done', 'retry', 'failed' or 'skipped' (done already, claimed elsewhere, or not yet due)."""
    job = _claim(key)
    if job is None:
        return "skipped"
    job_id, tries, task, args = job
    try:
        resolve(task)(*json.loads(args))
        db.session.commit()
    except Exception as error:  # noqa: BLE001 - kept, retried, and shown to a person in the end
        db.session.rollback()
        log.exception("job %s failed (try %d)", key, tries)
        return _failed(job_id, tries, f"{type(error).__name__}: {error}")
    db.session.execute(update(OutboxJob).where(OutboxJob.id == job_id).values(
        status=JobStatus.DONE, done_at=utcnow(), lease_until=None))
    db.session.commit()
    return "done"


def _claim(key: str) -> tuple | None:
    """(id, tries, task, args_json) of the row, now leased to this worker; no transaction is
    left open (a call to Stripe must never wait inside one)."""
    now = utcnow()
    lease = timedelta(seconds=current_app.config["JOBS_LEASE_SECONDS"])
    claimed = db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.key == key, OutboxJob.status == JobStatus.WAITING, OutboxJob.run_after <= now)
        .values(status=JobStatus.RUNNING, tries=OutboxJob.tries + 1, lease_until=now + lease)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        return None
    row = db.session.execute(select(OutboxJob.id, OutboxJob.tries, OutboxJob.task, OutboxJob.args_json)
                             .where(OutboxJob.key == key)).one()
    db.session.commit()
    return tuple(row)


def _failed(job_id: int, tries: int, error: str) -> str:
    last = tries >= current_app.config["JOBS_MAX_TRIES"]
    db.session.execute(update(OutboxJob).where(OutboxJob.id == job_id).values(
        status=JobStatus.FAILED if last else JobStatus.WAITING, lease_until=None,
        run_after=utcnow() + backoff(tries), last_error=error[:2000]))
    db.session.commit()
    return "failed" if last else "retry"


def sweep(grace_seconds: int | None = None, now: datetime | None = None) -> int:
    """Enqueue rows still waiting `grace_seconds` (JOBS_SWEEP_AFTER_SECONDS) after they were
    written or last enqueued, once due; a row whose worker died (lease run out) waits again, or
    fails if that was its last try. Returns how many were enqueued. Commits."""
    now = now or utcnow()
    grace = timedelta(seconds=current_app.config["JOBS_SWEEP_AFTER_SECONDS"]
                      if grace_seconds is None else grace_seconds)
    stale = (OutboxJob.status == JobStatus.RUNNING, OutboxJob.lease_until < now)
    last_try = OutboxJob.tries >= current_app.config["JOBS_MAX_TRIES"]
    db.session.execute(update(OutboxJob).where(*stale, last_try)
                       .values(status=JobStatus.FAILED, lease_until=None,
                               last_error=func.coalesce(OutboxJob.last_error, "the worker stopped mid-call")))
    db.session.execute(update(OutboxJob).where(*stale).values(status=JobStatus.WAITING, lease_until=None))
    before = now - grace
    keys = list(db.session.scalars(
        select(OutboxJob.key).where(
            OutboxJob.status == JobStatus.WAITING, OutboxJob.run_after <= now,
            or_(OutboxJob.enqueued_at.is_(None) & (OutboxJob.created_at <= before),
                OutboxJob.enqueued_at <= before))
        .order_by(OutboxJob.id).limit(5000)))
    if keys:
        db.session.execute(update(OutboxJob).where(OutboxJob.key.in_(keys)).values(enqueued_at=now))
    db.session.commit()
    enqueue(keys)
    return len(keys)


def retry(job_id: int) -> bool:
    """A person asks for a failed (or waiting) job to be tried again now, from its first try."""
    changed = db.session.execute(
        update(OutboxJob).where(OutboxJob.id == job_id,
                                OutboxJob.status.in_((JobStatus.FAILED, JobStatus.WAITING)))
        .values(status=JobStatus.WAITING, tries=0, run_after=utcnow(), enqueued_at=utcnow())
    ).rowcount
    key = db.session.scalar(select(OutboxJob.key).where(OutboxJob.id == job_id))
    db.session.commit()
    if changed:
        enqueue([key])
    return bool(changed)


def status() -> dict:
    """Counts by state, the oldest waiting job's age, queue length and the last heartbeat."""
    from market.jobs.queue import storage_name

    counts = dict(db.session.execute(select(OutboxJob.status, func.count()).group_by(OutboxJob.status)).all())
    oldest = db.session.scalar(select(func.min(OutboxJob.created_at)).where(
        OutboxJob.status == JobStatus.WAITING))
    beat = db.session.scalar(select(func.max(WorkerBeat.beat_at)))
    try:
        queued = 0 if huey.immediate else huey.pending_count()
    except Exception:  # noqa: BLE001 - the queue's storage is down: say so, don't fail
        queued = None
    now = utcnow()
    return {
        "storage": storage_name(),
        "queue_length": queued,
        "waiting": counts.get(JobStatus.WAITING, 0),
        "running": counts.get(JobStatus.RUNNING, 0),
        "failed": counts.get(JobStatus.FAILED, 0),
        "done": counts.get(JobStatus.DONE, 0),
        "oldest_waiting_seconds": None if oldest is None else int((now - oldest).total_seconds()),
        "last_heartbeat_seconds": None if beat is None else int((now - beat).total_seconds()),
    }


def heartbeat(name: str) -> None:
    """Record that worker `name` is alive (an upsert: a worker's threads start at once)."""
    statement = insert_on_conflict(WorkerBeat.__table__).values(name=name, beat_at=utcnow())
    db.session.execute(statement.on_conflict_do_update(index_elements=["name"],
                                                       set_={"beat_at": statement.excluded.beat_at}))
    db.session.commit()
