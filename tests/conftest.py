"""Fixtures: an app on a fresh database per test (SQLite file, or PostgreSQL when
TEST_DATABASE_URL is set), a client, the form helpers, and `make` (tests/factories.py's Factory)."""

import os
import re
import shutil
import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from config.settings import database_url
from market import create_app
from market.database import reset_write_intent, set_write_intent
from models import User, db
from tests.factories import PASSWORD, Factory

PG_URL = database_url(os.environ.get("TEST_DATABASE_URL", ""))


def _pg_schema_options(schema: str) -> dict:
    return {"connect_args": {"options": f"-csearch_path={schema}"}, "pool_pre_ping": True}


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Create the schema once per run; each test then gets an empty copy.

    Under pytest-xdist (`make test` runs `-n auto`) each worker is a session of its own, so each
    worker builds its own: on PostgreSQL a schema named for the worker (t_gw0_…), dropped when the
    worker ends; on SQLite a template file in the worker's own tmp dir (…/popen-gw0/)."""
    if PG_URL:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        schema = f"t_{worker}_{uuid.uuid4().hex[:12]}"
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        options = _pg_schema_options(schema)
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": PG_URL,
                          "SQLALCHEMY_ENGINE_OPTIONS": options})
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        yield {"url": PG_URL, "engine_options": options, "schema": schema}
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        yield {"path": path}


def _empty_database(template, tmp_path) -> dict:
    if "schema" in template:
        engine = create_engine(template["url"], **template["engine_options"])
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with engine.begin() as conn:
            # The ledger tables refuse TRUNCATE (a statement trigger); replica mode, open to the
            # superuser the tests run as only, skips triggers for this one transaction.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return {"SQLALCHEMY_DATABASE_URI": template["url"],
                "SQLALCHEMY_ENGINE_OPTIONS": template["engine_options"]}
    target = tmp_path / "test.sqlite3"
    shutil.copyfile(template["path"], target)
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{target}", "SQLALCHEMY_ENGINE_OPTIONS": {}}


class FreshContextClient(FlaskClient):
    """Each request runs in its own app context, as in production: its own `g`, its own
    database session. The test's session commits before and forgets after, so the request
    sees what the test set up and the test then reads what the request wrote. Like a WSGI server,
    it closes the response once its body is read, so what runs after the response has run."""

    def open(self, *args, **kwargs):
        db.session.commit()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        response.get_data()
        response.close()
        db.session.expire_all()
        return response


@pytest.fixture
def search_backend() -> str:
    """The search backend of the test's app; the search tests run on both (tests/search/conftest.py)."""
    return "whoosh"


@pytest.fixture
def app(database_template, tmp_path, request, search_backend):
    settings = {
        "SEARCH_BACKEND": search_backend,
        # Throttles only in tests marked `throttles` (each test's app counts from zero)
        "RATELIMIT_ENABLED": request.node.get_closest_marker("throttles") is not None,
        "TESTING": True,
        "SECRET_KEY": "testing-secret",
        "UPLOAD_ROOT": tmp_path / "uploads",
        "SEARCH_INDEX_DIR": tmp_path / "search",
        "JOBS_IMMEDIATE": True,
        "INSTANCE_DIR": tmp_path,
        "SERVER_NAME": "localhost",
    }
    settings.update(_empty_database(database_template, tmp_path))
    application = create_app(settings)
    application.test_client_class = FreshContextClient
    with application.app_context():
        # The test body only sets up and reads; on SQLite its transactions begin DEFERRED so
        # they never hold the write lock that the requests under test need.
        token = set_write_intent(False)
        yield application
        reset_write_intent(token)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def english(app, client):
    """Pages (through `client`) and service messages in English, for tests that check what a
    message says; tests/site/test_translations.py checks that each one has its Chinese."""
    from flask_babel import force_locale

    client.set_cookie("lang", "en")
    with force_locale("en"):
        yield


# ---- form helpers -------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(client, url: str) -> str:
    page = client.get(url)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no form with a CSRF token on {url} (status {page.status_code})"
    return match.group(1)


# ---- one-time form tokens (market/once.py) ----
_ONCE = re.compile(r'name="form_once" value="([0-9a-f]{32})"')


def post_form(client, url: str, data: dict | None = None, form_url: str | None = None, **kwargs):
    """Post like a browser: fetch the form's page for a CSRF token and a one-time token (a fresh
    one when that page shows none: tests of a refusal often take the token from another page),
    then submit."""
    payload = dict(data or {})
    page = client.get(form_url or url).get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, f"no form with a CSRF token on {form_url or url}"
    payload["csrf_token"] = match.group(1)
    once = _ONCE.search(page)
    payload.setdefault("form_once", once.group(1) if once else uuid.uuid4().hex)
    return client.post(url, data=payload, **kwargs)


def login(client, user: User, password: str = PASSWORD):
    response = post_form(client, "/login", {"identifier": user.email or user.phone,
                                            "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


# ---- factories (tests/factories.py) -------------------------------------------------------

@pytest.fixture
def make(app):
    return Factory()


# ---- Which tests run on which run, and CI's REQUIRE_ALL_TESTS=1 -----------------------------
#
# .ci/run runs the suite twice with REQUIRE_ALL_TESTS=1, on SQLite and then on PostgreSQL.
# - A test marked `postgres` runs only when TEST_DATABASE_URL is set: on the PostgreSQL run.
# - A test marked `browser` (Chromium; slow) runs once, on the PostgreSQL run: on a SQLite run it
#   is skipped. (To run it locally: TEST_DATABASE_URL=postgresql:///test make test.)
# On the SQLite run only those two skips are allowed; on the PostgreSQL run nothing may skip. Any
# other skip (no Chromium, no Playwright) fails the run.
#
# Under pytest-xdist these hooks run in the controller too, which receives every worker's test
# and collection reports (report.keywords included): the skips are counted there, once, and the
# controller's exit status is the run's. tests/site/test_ci_rules.py checks it with -n 2.

ONLY_ON_POSTGRESQL = {
    "postgres": "needs PostgreSQL (TEST_DATABASE_URL)",
    "browser": "browser tests run once, on the PostgreSQL run (TEST_DATABASE_URL)",
}
REQUIRE_ALL = os.environ.get("REQUIRE_ALL_TESTS") == "1"
_skipped: list[str] = []


def pytest_sessionstart(session):
    if REQUIRE_ALL and PG_URL and not PG_URL.startswith("postgresql"):
        pytest.exit("REQUIRE_ALL_TESTS=1: TEST_DATABASE_URL must point at PostgreSQL", returncode=1)


def pytest_runtest_setup(item):
    if not PG_URL:
        for marker, reason in ONLY_ON_POSTGRESQL.items():
            if item.get_closest_marker(marker):
                pytest.skip(reason)


def _skip_is_allowed(keywords) -> bool:
    """On a SQLite run the tests kept for the PostgreSQL run may skip; no other skip is ever allowed."""
    return not PG_URL and any(marker in keywords for marker in ONLY_ON_POSTGRESQL)


def pytest_collectreport(report):
    if report.skipped:
        _skipped.append(f"{report.nodeid or 'collection'}: {_skip_reason(report)}")


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail") and not _skip_is_allowed(report.keywords):
        _skipped.append(f"{report.nodeid}: {_skip_reason(report)}")


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    return str(longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else longrepr)


def pytest_sessionfinish(session, exitstatus):
    if not REQUIRE_ALL:
        return
    if _skipped or exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not REQUIRE_ALL:
        return
    if _skipped:
        terminalreporter.section("REQUIRE_ALL_TESTS=1: skipped tests count as failures", red=True)
        for line in _skipped:
            terminalreporter.write_line(f"SKIPPED {line}")
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        terminalreporter.write_line("REQUIRE_ALL_TESTS=1: no tests ran", red=True)
