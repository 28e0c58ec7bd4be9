"""PostgreSQL search caches (market/search/pg_cache.py): two app objects on one schema stand
for two servers; an edit through one is seen by the other's next search, never a stale answer."""

import pytest
from sqlalchemy import event, text

from market import create_app
from market.search import indexing, service
from market.search.pg_cache import READ
from models import Listing, db
from tests.search.search_fixtures import build_catalog

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("search_backend", ["postgres"])]

QUERIES = ["calligraphy sheets", "caligraphy", "宣纸", "rice paper", "tea homestay", "xuanzhi",
           "paper tea", "eggs", "鸡蛋", "papermaking walk", "jing county paper"]


def _server(app):
    """Another app object (another server) on the same database."""
    other = create_app({key: app.config[key] for key in (
        "SEARCH_BACKEND", "TESTING", "SECRET_KEY", "UPLOAD_ROOT", "SEARCH_INDEX_DIR", "JOBS_IMMEDIATE",
        "INSTANCE_DIR", "SERVER_NAME", "SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS")})
    return other


def _answers(application) -> dict:
    with application.app_context():
        out = {}
        for q in QUERIES:
            page = service.search(service.SearchRequest(q=q))
            out[q] = ([x.slug for x in page.listings], page.total, page.suggestion, page.partial,
                      page.facets)
        db.session.remove()
        return out


@pytest.fixture
def servers(app, make):
    catalog = build_catalog(make)
    other = _server(app)
    yield catalog, other
    with other.app_context():
        db.engine.dispose()


def test_an_edit_on_one_server_is_seen_by_the_others_next_search(app, servers):
    catalog, other = servers
    before = _answers(other)
    assert before["calligraphy sheets"][1] == 0 or before["calligraphy sheets"][3]
    assert before["eggs"][0] == ["eggs"]
    paper = catalog["paper"]
    paper.title_en = "Handmade calligraphy sheets"
    db.session.get(Listing, catalog["eggs"].id).status = "archived"
    db.session.commit()
    after = _answers(other)
    assert after["calligraphy sheets"][0][0] == "xuan-paper"
    assert after["eggs"][0] == []
    assert after["caligraphy"][0][:1] == ["xuan-paper"]  # the typo vocabulary was re-read too
    fresh = _server(app)  # no cache at all: the same answers
    try:
        assert after == _answers(fresh)
    finally:
        with fresh.app_context():
            db.engine.dispose()
    assert after == _answers(other) == _answers(app)


def test_an_unchanged_index_answers_term_look_ups_from_the_cache(servers):
    _catalog, other = servers
    statements = []
    with other.app_context():
        # (the version read counts the documents only when there is no version row)
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *rest: "search_documents" in statement
                     and READ not in statement and statements.append(statement))
    first = _answers(other)
    count = len(statements)
    statements.clear()
    assert _answers(other) == first
    # the total and the facets are not counted again, and an unfiltered page is ranked from the
    # postings alone (search_postings): no statement reads the documents
    assert count > 0 and statements == []


def test_the_cached_counts_and_facets_follow_the_filters(servers):
    """Counts are kept per set of matched listings: a filter is another set, never the
    unfiltered counts again."""
    _catalog, other = servers
    with other.app_context():
        everything = service.search(service.SearchRequest(q="paper"))
        again = service.search(service.SearchRequest(q="paper"))
        crafts = service.search(service.SearchRequest(q="paper", kind="craft"))
        db.session.remove()
    assert (again.total, again.facets) == (everything.total, everything.facets)
    assert everything.total > crafts.total > 0
    assert [kind for kind, *_label_and_count in crafts.facets["kind"]] == ["craft"]


def test_a_rebuild_and_an_emptied_version_row_start_the_cache_again(app, servers):
    catalog, other = servers
    before = _answers(other)
    indexing.reindex()
    assert _answers(other) == before
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM search_version"))
    assert _answers(other) == before  # no version: nothing cached, the same answers
    catalog["paper"].title_en = "Handmade calligraphy sheets"
    db.session.commit()
    assert _answers(other)["calligraphy sheets"][0][0] == "xuan-paper"


def test_a_search_of_several_words_counts_them_in_its_page_statement_once(servers):
    """After a change, a ranking of several concepts learns how many listings each matches (its
    idf) in the statement that ranks them, from the postings, not in a count of the documents
    beforehand; the next search of the words is given the counts."""
    catalog, other = servers
    catalog["tea"].title_en = "Wuyuan green tea from a homestay's garden"
    db.session.commit()
    statements = []
    with other.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *rest: statements.append(statement))
        first = service.search(service.SearchRequest(q="tea homestay"))
        counted = [s for s in statements if "count(*)" in s and READ not in s]
        statements.clear()
        again = service.search(service.SearchRequest(q="tea homestay"))
        db.session.remove()
    assert {"tea-house-stay", "green-tea"} <= {x.slug for x in first.listings}
    assert [x.slug for x in again.listings] == [x.slug for x in first.listings]
    assert len(counted) == 1 and "counts AS" in counted[0] and "WITH tf" in counted[0]
    assert not any("counts AS" in s for s in statements)
