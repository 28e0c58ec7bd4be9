"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL, and
the `make run` path (upgrade, seed, verify) works on a database they built."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from market import create_app
from market.ledger import fund_entries
from models import db
from tests.conftest import PG_URL

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "models" / "migrations")


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


@pytest.mark.postgres
def test_migrated_search_table_stores_terms_as_the_models_do(migrated_app):
    """What the models' DDL sets and autogenerate cannot compare: no GIN pending list, `terms`
    inline and uncompressed (migrations 0022 and 0024, models/search.py)."""
    with db.engine.connect() as connection:
        storage, options = connection.execute(text(
            "SELECT attstorage, reloptions FROM pg_attribute JOIN pg_class ON pg_class.oid = attrelid "
            "WHERE attname = 'terms' AND attrelid = 'search_documents'::regclass")).one()
        index_options = connection.execute(text(
            "SELECT reloptions FROM pg_class WHERE relname = 'ix_search_documents_terms' "
            "AND relnamespace = current_schema()::regnamespace")).scalar()
    assert storage == "e" and options == ["toast_tuple_target=8160"]
    assert index_options == ["fastupdate=off"]


def test_migrations_downgrade_to_an_empty_database(migrated_app):
    downgrade(directory=MIGRATIONS, revision="base")
    with db.engine.connect() as connection:
        left = set(inspect(connection).get_table_names()) - {"alembic_version"}
    assert left == set()


def test_orders_migration_moves_shipping_and_fulfilment_onto_the_lines(migrated_app):
    """0002_orders: a shipped order's carrier and tracking number go to its goods lines, and the
    lines of a fulfilled order are fulfilled when (and by whom) the order was."""
    import sqlalchemy as sa

    from models.base import UTCDateTime

    downgrade(directory=MIGRATIONS, revision="0001_initial")
    when = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    rows = {
        "users": [{"id": 1, "name": "staff", "password_hash": "x", "session_version": 1, "is_admin": False,
                   "created_at": when}],
        "homes": [{"id": 1, "slug": "h", "name_zh": "院", "name_en": "Home", "province_zh": "省",
                   "province_en": "P", "county_zh": "县", "county_en": "C", "village_zh": "村",
                   "village_en": "V", "story_zh": "", "story_en": "", "care_share_bps": 2000,
                   "timezone": "Asia/Shanghai", "status": "active", "featured": False, "created_at": when}],
        "listings": [{"id": 1, "home_id": 1, "kind": "produce", "slug": "rice", "status": "published",
                      "featured": False, "title_zh": "米", "title_en": "Rice", "description_zh": "",
                      "description_en": "", "tags": "", "price_fen": 100, "currency": "CNY", "unit_zh": "",
                      "unit_en": "", "reserved": 0, "made_to_order": False, "ships_to": "",
                      "created_at": when, "updated_at": when}],
        "orders": [{"id": 1, "reference": "R1", "idempotency_token": "t1", "home_id": 1,
                    "status": "fulfilled", "provider": "offline", "total_fen": 100, "currency": "CNY",
                    "contact_name": "李", "contact_phone": "13800138000", "carrier": "EMS",
                    "tracking_number": "E1", "locale": "zh_Hans", "created_at": when}],
        "order_lines": [{"id": 1, "order_id": 1, "home_id": 1, "listing_id": 1, "kind": "produce",
                         "title": "米", "quantity": 1, "unit_price_fen": 100, "amount_fen": 100,
                         "refunded_fen": 0, "care_share_bps": 2000, "incentive_bps": 0, "platform_fee_bps": 0,
                         "holds_inventory": False}],
        "order_events": [{"id": 1, "order_id": 1, "from_status": None, "to_status": "pending_payment",
                          "actor_id": None, "reason": "checkout", "created_at": when},
                         {"id": 2, "order_id": 1, "from_status": "paid", "to_status": "fulfilled",
                          "actor_id": 1, "reason": "shipped", "created_at": when + timedelta(days=2)}],
    }
    times = {"created_at", "updated_at"}
    with db.engine.begin() as connection:
        for name, values in rows.items():
            columns = {key for row in values for key in row}
            table = sa.table(name, *(sa.column(c, UTCDateTime() if c in times else None) for c in columns))
            connection.execute(table.insert(), values)
    upgrade(directory=MIGRATIONS)
    with db.engine.connect() as connection:
        line = connection.execute(text("SELECT carrier, tracking_number, fulfilled_by_id, title_en "
                                       "FROM order_lines")).one()
        kinds = connection.execute(text("SELECT actor_kind FROM order_events ORDER BY id")).scalars().all()
    assert tuple(line) == ("EMS", "E1", 1, "")
    assert kinds == ["customer", "staff"]
    order_columns = {c["name"] for c in inspect(db.engine).get_columns("orders")}
    assert "carrier" not in order_columns and "cart_owner" in order_columns


def test_fund_sums_migration_backfills_the_summary_from_the_postings(migrated_app):
    """0004_fund_sums fills ledger_care_sums from the entries posted before it, exactly as
    post() keeps it from then on."""
    from market import hooks
    from market.ledger import sums
    from market.ledger.verify import verify_ledger
    from tests.factories import Factory, order_rows

    make = Factory()
    home = make.home()
    order = order_rows(make, home=home, lines=((6000, 2000, 500, 500, "tour"), (3000, 2000, 0, 0, "produce")))
    hooks.order_paid.send(order)
    fund_entries.post_donation(home_id=home.id, amount_fen=8800, donation_id=1, memo="")
    fund_entries.post_disbursement(home_id=home.id, amount_fen=5000, disbursement_id=1,
                                     category="meals", memo="")
    db.session.commit()
    kept = sums.stored()
    assert len(kept) == 4 and kept == sums.recomputed()  # tour, produce, donation, disbursement
    db.session.remove()
    downgrade(directory=MIGRATIONS, revision="0003_payments")
    assert "ledger_care_sums" not in inspect(db.engine).get_table_names()
    upgrade(directory=MIGRATIONS)
    assert sums.stored() == kept
    assert verify_ledger(crosscheck=False).ok  # the fund records are invented ids


@pytest.mark.postgres
def test_search_postings_migration_fills_them_from_the_rows_already_indexed(migrated_app):
    """0025_pgsearchpostings: the term frequencies of every indexed listing, as the backend
    writes them, so searches rank alike before and after a reindex."""
    downgrade(directory=MIGRATIONS, revision="0024_pgsearchplain")
    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO search_documents (listing_id, kind, province, home_id, price_band, price_fen, "
            "next_date, terms, spell, indexed_at) VALUES (7, 'craft', '安徽省', 1, 'mid', 12800, 99999999, "
            "CAST(:terms AS tsvector), '', now())"), {"terms": "'t:宣纸':1,2,3 'k:craft':1 'e:paper':1,2"})
    upgrade(directory=MIGRATIONS)
    with db.engine.connect() as connection:
        postings = connection.execute(text(
            "SELECT hashtextextended(lex, 0), tf FROM (VALUES ('t:宣纸', 3), ('k:craft', 1), ('e:paper', 2)) "
            "AS v (lex, tf)")).all()
        stored = connection.execute(text("SELECT term, tf FROM search_postings WHERE listing_id = 7")).all()
    assert sorted(stored) == sorted(postings)


@pytest.mark.postgres
def test_search_spellings_migration_counts_the_words_of_the_rows_already_indexed(migrated_app):
    """0026_pgsearchspellings: the typo vocabulary with each word's listing count, as ts_stat
    counted it before, so typos are corrected alike before and after a reindex."""
    downgrade(directory=MIGRATIONS, revision="0025_pgsearchpostings")
    with db.engine.begin() as connection:
        for listing_id, spell in ((7, "paper rice xuanzhi"), (8, "paper tea")):
            connection.execute(text(
                "INSERT INTO search_documents (listing_id, kind, province, home_id, price_band, price_fen, "
                "next_date, terms, spell, indexed_at) VALUES (:id, 'craft', '安徽省', 1, 'mid', 12800, "
                "99999999, '''k:craft''', CAST(:spell AS tsvector), now())"),
                {"id": listing_id, "spell": spell})
    upgrade(directory=MIGRATIONS)
    with db.engine.connect() as connection:
        stored = dict(connection.execute(text("SELECT word, listings FROM search_spellings")).all())
    assert stored == {"paper": 2, "rice": 1, "xuanzhi": 1, "tea": 1}
