"""Every search test runs on both backends: Whoosh, and PostgreSQL (marked `postgres`: it runs on
the PostgreSQL run, where TEST_DATABASE_URL is set, and skips on the SQLite run).

The judged queries only read the demo catalogue, so it is seeded and indexed once per backend
and per test worker (`demo_catalogue`), on a database of its own: a PostgreSQL schema or a
SQLite file, never the per-test database that other tests empty."""

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from market import create_app
from market.demo.seed import seed
from market.search import indexing
from models import db
from tests.conftest import PG_URL

BACKENDS = ["whoosh", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def search_backend(request) -> str:
    return request.param


class _Catalogues:
    """The demo catalogue per backend, built on first use and kept for the session."""

    def __init__(self, folder_factory):
        self.folder_factory = folder_factory
        self.apps: dict[str, object] = {}
        self.schemas: list[str] = []

    def get(self, backend: str):
        if backend not in self.apps:
            self.apps[backend] = self._build(backend)
        return self.apps[backend]

    def _build(self, backend: str):
        folder = self.folder_factory.mktemp(f"demo-{backend}")
        settings = {"SEARCH_BACKEND": backend, "TESTING": True, "SECRET_KEY": "testing-secret",
                    "RATELIMIT_ENABLED": False, "UPLOAD_ROOT": folder / "uploads",
                    "SEARCH_INDEX_DIR": folder / "search", "JOBS_IMMEDIATE": True,
                    "INSTANCE_DIR": folder, "SERVER_NAME": "localhost"}
        if PG_URL:
            schema = f"demo_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:12]}"
            _execute(f"CREATE SCHEMA {schema}")
            self.schemas.append(schema)
            settings |= {"SQLALCHEMY_DATABASE_URI": PG_URL, "SQLALCHEMY_ENGINE_OPTIONS": {
                "connect_args": {"options": f"-csearch_path={schema}"}, "pool_pre_ping": True}}
        else:
            settings |= {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'demo.sqlite3'}"}
        application = create_app(settings)
        with application.app_context():
            db.create_all()
            seed()
            indexing.reindex()
            db.session.remove()
        return application

    def close(self):
        for application in self.apps.values():
            with application.app_context():
                db.engine.dispose()
        for schema in self.schemas:
            _execute(f"DROP SCHEMA {schema} CASCADE")


def _execute(statement: str) -> None:
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


@pytest.fixture(scope="session")
def demo_catalogues(tmp_path_factory):
    catalogues = _Catalogues(tmp_path_factory)
    yield catalogues
    catalogues.close()


@pytest.fixture
def demo(demo_catalogues, search_backend):
    """The seeded, indexed demo catalogue on the test's backend, in an app context of the
    test's own (built once per backend and worker: the judged queries only read it)."""
    application = demo_catalogues.get(search_backend)
    with application.app_context():
        yield application
        db.session.remove()
