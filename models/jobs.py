from datetime import datetime
from enum import StrEnum

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow


class JobStatus(StrEnum):
    WAITING = "waiting"  # to run (again) once `run_after` has passed
    RUNNING = "running"  # claimed by a worker until `lease_until`
    DONE = "done"
    FAILED = "failed"  # tried `JOBS_MAX_TRIES` times: a person looks (/admin/jobs)


class OutboxJob(db.Model):
    """A call to the outside world (Stripe, mail) decided in the same transaction as the change
    that needs it; a worker makes it after the commit (market/jobs/outbox.py)."""

    __tablename__ = "jobs_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # de-duplicates the same decision
    task: Mapped[str] = mapped_column(String(200))  # "module:function"
    args_json: Mapped[str] = mapped_column(Text, default="[]")
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.WAITING, index=True)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WorkerBeat(db.Model):
    """The last sign of life of each worker (`flask worker`), shown by /healthz and `flask jobs status`."""

    __tablename__ = "jobs_workers"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
