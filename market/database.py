"""Engine settings: SQLite gets foreign keys, WAL and write transactions that begin IMMEDIATE."""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

# Read-only requests begin DEFERRED so readers never queue behind writers; everything else
# (POSTs, CLI commands, tests, background jobs) begins IMMEDIATE so concurrent writers wait
# for the lock (busy_timeout) instead of failing half-way with "database is locked".
_write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)


def set_write_intent(value: bool):
    """Declare whether transactions begun from now on in this context may write."""
    return _write_intent.set(value)


def reset_write_intent(token) -> None:
    _write_intent.reset(token)


@contextmanager
def writing(session) -> Iterator[None]:
    """For a write inside a read-only (GET) request: end the session's read transaction and
    begin the next one as a writer (IMMEDIATE on SQLite). Upgrading the deferred read
    transaction instead fails with "database is locked" when another writer got in between."""
    session.rollback()
    token = set_write_intent(True)
    try:
        yield
    finally:
        reset_write_intent(token)


def use_case(func: Callable) -> Callable:
    """Mark a service function as one use case: it commits its own work, and on any error the
    session is rolled back before the error reaches the caller, so a view that catches it never
    holds a half-done transaction (views never commit or roll back)."""

    @functools.wraps(func)
    def run(*args, **kwargs):
        from models import db

        try:
            return func(*args, **kwargs)
        except Exception:
            db.session.rollback()
            raise

    return run


def configure_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def lock_one(stmt, *, skip_locked: bool = False):
    """The one row `stmt` selects, locked (SELECT … FOR UPDATE) and read afresh.

    `populate_existing` overwrites what the session already held, so a decision is taken from the
    row as it is now, never from a copy read before another transaction committed (under
    PostgreSQL's READ COMMITTED a plain re-select keeps the stale copy). On SQLite FOR UPDATE is
    not emitted: writers there are serialised by BEGIN IMMEDIATE. With `skip_locked`, a row that
    another transaction holds is skipped (None) instead of waited for.
    """
    from models import db

    stmt = stmt.with_for_update(skip_locked=skip_locked).execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def insert_on_conflict(table, session=None):
    """An INSERT for `table` in the session's dialect (SQLite or PostgreSQL), which both spell
    ON CONFLICT the same way: `.on_conflict_do_update()` / `.on_conflict_do_nothing()`."""
    from sqlalchemy.dialects import postgresql, sqlite

    from models import db

    bind = (session or db.session()).get_bind()
    return (postgresql if bind.dialect.name == "postgresql" else sqlite).insert(table)
