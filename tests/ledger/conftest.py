"""Fixtures of the ledger tests."""

import pytest


@pytest.fixture
def no_search_sync(app):
    """Ledger tests commit often; the search index (market/search) is not what they test."""
    app.config["SEARCH_SYNC"] = False
