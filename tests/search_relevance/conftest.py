"""Every search test runs on both backends: Whoosh, and PostgreSQL (marked `postgres`: it runs on
the PostgreSQL run, where TEST_DATABASE_URL is set, and skips on the SQLite run)."""

import pytest

BACKENDS = ["whoosh", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def search_backend(request) -> str:
    return request.param
