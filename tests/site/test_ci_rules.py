"""CI's rule (REQUIRE_ALL_TESTS=1, tests/conftest.py): on the SQLite run only PostgreSQL-only
tests may skip; on the PostgreSQL run nothing may skip. Checked by running pytest on a tiny
suite with this project's conftest."""

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
    pytest.skip("as on a machine without the feature")  # runs (and skips) only with a URL

@pytest.mark.browser
def test_browser():
    if not {browser}:
        pytest.skip("no Chromium")

def test_plain():
    pass
'''


def _run(tmp_path: Path, browser: bool, database_url: str | None,
         workers: int) -> subprocess.CompletedProcess:
    shutil.copy(Path(__file__).parents[1] / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_suite.py").write_text(SUITE.format(browser=browser), encoding="utf-8")
    env = {key: value for key, value in os.environ.items()
           if key != "TEST_DATABASE_URL" and not key.startswith("PYTEST_XDIST")}
    env["REQUIRE_ALL_TESTS"] = "1"
    env["PYTHONPATH"] = str(ROOT)  # the copied conftest imports tests.factories
    if database_url:
        env["TEST_DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-n", str(workers), "-o", "markers=postgres\n browser", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("browser, database_url, workers, passes", [
    (True, None, 0, True),                     # SQLite run: the PostgreSQL-only skip is allowed
    (False, None, 0, False),                   # SQLite run: a browser skip is not
    (True, "postgresql:///test", 0, False),    # PostgreSQL run: no skip at all
    (False, "postgresql:///test", 0, False),
    # The same under pytest-xdist, as `make test` runs: the controller counts the workers' skips.
    (True, None, 2, True),
    (False, None, 2, False),
    (True, "postgresql:///test", 2, False),
])
def test_require_all_tests(tmp_path, browser, database_url, workers, passes):
    result = _run(tmp_path, browser, database_url, workers)
    assert (result.returncode == 0) == passes, result.stdout + result.stderr
    if not passes:
        assert "skipped tests count as failures" in result.stdout
