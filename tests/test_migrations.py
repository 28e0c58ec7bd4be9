"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL, and
the `make run` path (upgrade, seed, verify) works on a database they built."""

import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from market import create_app
from models import db
from tests.conftest import PG_URL

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "models" / "migrations")


@pytest.fixture
def migrated_app(tmp_path):
    """An app on an empty database (own PostgreSQL schema, or a new SQLite file) at the head."""
    settings = {"TESTING": True, "UPLOAD_ROOT": tmp_path / "uploads",
                "SEARCH_INDEX_DIR": tmp_path / "search", "INSTANCE_DIR": tmp_path}
    admin = schema = None
    if PG_URL:
        schema = f"m_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_URL)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        settings |= {"SQLALCHEMY_DATABASE_URI": PG_URL,
                     "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}}}
    else:
        settings["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path}/migrated.sqlite3"
    app = create_app(settings)
    try:
        with app.app_context():
            upgrade(directory=MIGRATIONS)
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        if admin is not None:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


def test_migration_head_matches_the_models(migrated_app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
        tables = set(inspect(connection).get_table_names())
    assert {table.name for table in db.metadata.sorted_tables} <= tables
    assert differences == []


def test_demo_seed_and_ledger_verify_run_on_the_migrated_schema(migrated_app):
    runner = migrated_app.test_cli_runner()
    seeded = runner.invoke(args=["demo", "seed"])
    assert seeded.exit_code == 0, seeded.output
    assert "Demo logins" in seeded.output
    verified = runner.invoke(args=["ledger", "verify"])
    assert verified.exit_code == 0, verified.output


@pytest.mark.postgres
def test_migrated_postgresql_ledger_refuses_raw_changes(migrated_app):
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO ledger_tree_heads (size, root, frontier, created_at) "
                                "VALUES (0, 'e3b0', '[]', now())"))
    for statement in ("UPDATE ledger_tree_heads SET root = 'forged'", "DELETE FROM ledger_tree_heads"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
            connection.execute(text(statement))


def test_migrations_downgrade_to_an_empty_database(migrated_app):
    downgrade(directory=MIGRATIONS, revision="base")
    with db.engine.connect() as connection:
        left = set(inspect(connection).get_table_names()) - {"alembic_version"}
    assert left == set()
