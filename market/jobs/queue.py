"""The one task queue (Huey), configured from settings by `configure(app)`.

- REDIS_URL set: RedisHuey storage, so workers on any number of machines share the queue.
- otherwise: SqliteHuey storage in a file (JOBS_SQLITE_PATH, default instance/jobs.sqlite3).
- JOBS_IMMEDIATE (default: on when TESTING): each task runs at once, in the caller's thread.

Tasks are declared at import time on the module-level `huey`; `configure` swaps its storage.
Each task body runs inside `app_context()` of the last configured app (the worker's, or the test's).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC
from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.storage import MemoryStorage

from market.clock import HOME_ZONE

huey = Huey("market", immediate=True)  # memory storage until `configure` says otherwise
_app = None


def configure(app) -> None:
    """Point the queue at the storage the settings name, and remember `app` for task bodies."""
    global _app
    _app = app
    immediate = app.config.get("JOBS_IMMEDIATE")
    if immediate is None:
        immediate = app.testing
    huey._immediate = immediate
    if immediate:
        huey.storage = MemoryStorage("market")
        return
    if app.config.get("REDIS_URL"):
        huey.storage = RedisHuey.storage_class("market", url=app.config["REDIS_URL"])
    else:
        path = app.config.get("JOBS_SQLITE_PATH") or Path(app.config["INSTANCE_DIR"]) / "jobs.sqlite3"
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        huey.storage = SqliteHuey.storage_class("market", filename=str(path))


def storage_name() -> str:
    if huey.immediate:
        return "immediate"
    return "redis" if isinstance(huey.storage, RedisHuey.storage_class) else "sqlite"


@contextmanager
def app_context():
    """The application context a task body runs in (its own database session)."""
    from market.database import reset_write_intent, set_write_intent
    from models import db

    with _app.app_context():
        token = set_write_intent(True)  # jobs write: on SQLite, BEGIN IMMEDIATE
        try:
            yield _app
        finally:
            reset_write_intent(token)
            db.session.remove()


def home_crontab(minute="*", hour="*", day="*", month="*", day_of_week="*"):
    """A crontab read on the homes' clock (Asia/Shanghai), whatever the machine's time zone."""
    matches = crontab(minute, hour, day, month, day_of_week)

    def validate(timestamp):
        # Huey passes naive UTC (utc=True, its default).
        return matches(timestamp.replace(tzinfo=UTC).astimezone(HOME_ZONE).replace(tzinfo=None))

    return validate
