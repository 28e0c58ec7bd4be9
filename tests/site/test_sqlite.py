"""SQLite as the app configures it: foreign keys on, WAL, and write transactions that begin
IMMEDIATE, so a second writer waits for the first instead of failing half-way.

These build their own SQLite app, so they run on every test run, PostgreSQL ones included."""

import sqlite3
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from market import create_app
from market.database import reset_write_intent, set_write_intent
from models import db


@pytest.fixture
def sqlite_app(tmp_path):
    path = tmp_path / "writers.sqlite3"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        db.create_all()
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
            conn.execute(text("CREATE TABLE child (id INTEGER PRIMARY KEY, "
                              "parent_id INTEGER NOT NULL REFERENCES parent(id))"))
            conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
            conn.execute(text("INSERT INTO counter VALUES (0)"))
        yield app, path
        db.engine.dispose()


def _another_writer_can_start(path, commit: bool = False) -> bool:
    """Whether a writer that will not wait at all could begin now (and, with commit, write)."""
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        if commit:
            probe.execute("UPDATE counter SET n = n + 1")
        probe.execute("COMMIT" if commit else "ROLLBACK")
        return True
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return False
    finally:
        probe.close()


def test_foreign_keys_and_wal_are_on(sqlite_app):
    app, _path = sqlite_app
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        with pytest.raises(IntegrityError):
            conn.execute(text("INSERT INTO child (id, parent_id) VALUES (1, 42)"))


def test_a_write_transaction_takes_the_write_lock_at_begin(sqlite_app):
    app, path = sqlite_app
    token = set_write_intent(True)
    try:
        with app.app_context(), db.engine.connect() as conn:
            conn.execute(text("SELECT n FROM counter"))  # only a read so far
            assert not _another_writer_can_start(path)
            conn.rollback()
            assert _another_writer_can_start(path)
    finally:
        reset_write_intent(token)


def test_a_read_only_transaction_begins_deferred(sqlite_app):
    app, path = sqlite_app
    token = set_write_intent(False)
    try:
        with app.app_context(), db.engine.connect() as conn:
            conn.execute(text("SELECT n FROM counter"))
            assert _another_writer_can_start(path)  # readers never block writers
    finally:
        reset_write_intent(token)


def test_a_second_writer_waits_for_the_first_then_succeeds(sqlite_app):
    """Read-modify-write from two threads: with DEFERRED transactions the second would fail
    with "database is locked" (or lose an update); IMMEDIATE makes it queue."""
    app, _path = sqlite_app
    errors, second_began = [], threading.Event()

    def increment():
        try:
            with app.app_context(), db.engine.begin() as conn:
                second_began.set()
                n = conn.execute(text("SELECT n FROM counter")).scalar()
                conn.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)

    with app.app_context():
        first = db.engine.connect()
        first.begin()
        n = first.execute(text("SELECT n FROM counter")).scalar()
        second = threading.Thread(target=increment)
        second.start()
        second.join(timeout=0.5)
        assert second.is_alive() and not second_began.is_set()  # queued at BEGIN
        first.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        first.commit()
        first.close()
        second.join(timeout=30)
        assert not second.is_alive() and errors == []
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT n FROM counter")).scalar() == 2
