"""A benchmark's PostgreSQL half: a fresh schema for one measurement, dropped afterwards."""

import uuid

from sqlalchemy import create_engine, text

from config.settings import database_url


def search_path(schema: str) -> dict:
    """SQLAlchemy engine options that put every connection in `schema`."""
    return {"connect_args": {"options": f"-csearch_path={schema}"}}


def in_fresh_schema(raw_url: str, measure, prefix: str = "bench") -> dict:
    """`measure(url, schema)`'s figures, measured in a new schema of `raw_url`'s database; when
    there is no PostgreSQL to reach, {"skipped": why} (a failure inside `measure` still raises)."""
    url = database_url(raw_url)
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as error:  # noqa: BLE001 - no PostgreSQL here: report SQLite's figures only
        engine.dispose()
        print(f"PostgreSQL skipped: {type(error).__name__}: {error}")
        return {"skipped": type(error).__name__}
    try:
        return measure(url, schema)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()
