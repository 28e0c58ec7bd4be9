"""The queue's own schedules: the outbox sweeper and the worker's heartbeat (the task that runs one
outbox row, `jobs.run`, lives beside the outbox)."""

from __future__ import annotations

import os
import socket

from huey import crontab

from market.jobs import outbox
from market.jobs.queue import app_context, huey

WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"


@huey.periodic_task(crontab(minute="*"), name="jobs.sweep")
def sweep_outbox() -> int:
    with app_context():
        return outbox.sweep()


@huey.periodic_task(crontab(minute="*"), name="jobs.heartbeat")
def beat() -> None:
    with app_context():
        outbox.heartbeat(WORKER_NAME)


@huey.on_startup()
def _started() -> None:
    with app_context():
        outbox.heartbeat(WORKER_NAME)
