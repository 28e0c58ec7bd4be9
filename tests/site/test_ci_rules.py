"""CI's rule (REQUIRE_ALL_TESTS=1, tests/conftest.py): on the SQLite run only the tests kept for
the PostgreSQL run (PostgreSQL-only tests, and the browser tests, which run once) may skip; on the
PostgreSQL run nothing may skip. Checked by running pytest on a tiny suite with this project's
conftest, serially and under pytest-xdist."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SUITE = '''
import pytest

@pytest.mark.postgres
def test_postgresql_only():
    pass

@pytest.mark.browser
def test_browser():
    if not {browser}:
        pytest.skip("no Chromium")

def test_plain():
    if {other_skip}:
        pytest.skip("as on a machine without some feature")
'''

PG = "postgresql:///test"


def _run(tmp_path: Path, browser: bool, other_skip: bool, database_url: str | None,
         workers: int) -> subprocess.CompletedProcess:
    shutil.copy(Path(__file__).parents[1] / "conftest.py", tmp_path / "conftest.py")
    suite = SUITE.format(browser=browser, other_skip=other_skip)
    (tmp_path / "test_suite.py").write_text(suite, encoding="utf-8")
    env = {key: value for key, value in os.environ.items()
           if key != "TEST_DATABASE_URL" and not key.startswith("PYTEST_XDIST")}
    env["REQUIRE_ALL_TESTS"] = "1"
    env["PYTHONPATH"] = str(ROOT)  # the copied conftest imports tests.factories
    if database_url:
        env["TEST_DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-n", str(workers), "-o", "markers=postgres\n browser", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("browser, other_skip, database_url, workers, passes", [
    (True, False, None, 0, True),   # SQLite run: the PostgreSQL-only and the browser test skip, allowed
    (False, False, None, 0, True),  # SQLite run: the browser test does not even start
    (True, True, None, 0, False),   # SQLite run: any other skip fails
    (True, False, PG, 0, True),     # PostgreSQL run: everything runs, the browser test too
    (False, False, PG, 0, False),   # PostgreSQL run: no skip at all, a browser skip neither
    (True, True, PG, 0, False),
    # The same under pytest-xdist, as `make test` runs: the controller counts the workers' skips.
    (True, False, None, 2, True),
    (True, True, None, 2, False),
    (False, False, PG, 2, False),
])
def test_require_all_tests(tmp_path, browser, other_skip, database_url, workers, passes):
    result = _run(tmp_path, browser, other_skip, database_url, workers)
    assert (result.returncode == 0) == passes, result.stdout + result.stderr
    if not passes:
        assert "skipped tests count as failures" in result.stdout
    elif database_url:
        assert "3 passed" in result.stdout and "skipped" not in result.stdout
    else:
        assert "1 passed, 2 skipped" in result.stdout
