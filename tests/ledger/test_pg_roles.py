"""PostgreSQL: the application's role may only INSERT and SELECT the ledger tables, cannot
disable their triggers, and nobody may TRUNCATE them; the market still works as that role."""

import re
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from market import create_app
from market.ledger.verify import verify_ledger
from models import db
from models.roles import grant_app_role
from tests.factories import Factory, posted_sale

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("no_search_sync")]


@pytest.fixture
def app_role(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["options"]
    schema = re.search(r"search_path=(\w+)", options).group(1)
    role = f"market_app_{uuid.uuid4().hex[:8]}"
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} NOLOGIN"))
        grant_app_role(conn, role, schema)
    yield {"url": url, "schema": schema, "role": role,
           "options": {"connect_args": {"options": f"{options} -crole={role}"}}}
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(text(f"DROP OWNED BY {role}"))
        conn.execute(text(f"DROP ROLE {role}"))


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_entries SET memo = 'x'",
    "DELETE FROM ledger_postings",
    "UPDATE ledger_accounts SET code = 'x'",
    "TRUNCATE ledger_tree_heads CASCADE",
    "ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only",
])
def test_the_app_role_cannot_change_or_unprotect_the_books(make, app_role, statement):
    posted_sale(make)
    db.session.commit()
    engine = create_engine(app_role["url"], **app_role["options"])
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM ledger_entries")).scalar() == 1
            with pytest.raises(DBAPIError, match="permission denied|must be owner"):
                conn.execute(text(statement))
    finally:
        engine.dispose()


def test_the_market_runs_as_the_app_role(app_role, tmp_path):
    restricted = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app_role["url"],
                             "SQLALCHEMY_ENGINE_OPTIONS": app_role["options"], "INSTANCE_DIR": tmp_path,
                             "SEARCH_SYNC": False, "SERVER_NAME": "localhost"})
    with restricted.app_context():
        assert db.session.execute(text("SELECT current_user")).scalar() == app_role["role"]
        make = Factory()
        for _ in range(2):
            posted_sale(make)
        assert verify_ledger().ok
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("table", ["ledger_entries", "ledger_accounts", "ledger_cosignatures"])
def test_even_the_owner_cannot_truncate_the_ledger(make, app, table):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    posted_sale(make)
    db.session.remove()
    with pytest.raises(DBAPIError, match="append-only"):
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {table} CASCADE"))
