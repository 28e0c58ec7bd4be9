"""SQLite as the app configures it: foreign keys on, WAL, and write transactions that begin
IMMEDIATE, so a second writer waits for the first instead of failing half-way.

These build their own SQLite app, so they run on every test run, PostgreSQL ones included."""

import sqlite3
import threading

import pytest
from sqlalchemy import event, text
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


def test_switching_language_writes_the_account_as_a_writer(sqlite_app):
    """POST /lang/<code> is a read-only request until it saves the account's language: that
    write begins a transaction of its own, IMMEDIATE, so a writer who got in between queues
    instead of making the save fail with "database is locked"."""
    from models import User

    app, path = sqlite_app
    with app.app_context():
        user = User(name="Li", email="li@example.com", password_hash="x", locale="zh_Hans")
        db.session.add(user)
        db.session.commit()
        session_id = user.get_id()
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    other_writer_got_in = []

    def concurrent_writer(_conn, _cursor, statement, *_args):
        if statement.startswith("UPDATE users"):
            other_writer_got_in.append(_another_writer_can_start(path, commit=True))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", concurrent_writer)
    from tests.conftest import post_form

    response = post_form(client, "/lang/en", {"next": "/"}, form_url="/")
    assert response.status_code == 303
    assert other_writer_got_in == [False]
    with app.app_context():
        assert db.session.get(User, int(session_id.split(":")[0])).locale == "en"
