"""The index follows committed changes only; failures never lose a save; reindex == incremental."""

import logging

import jieba
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.search import documents, indexing, service
from models import Listing, SearchDocument, SearchQueue, db, utcnow
from tests.search.search_fixtures import build_catalog


def slugs(q: str = "", **filters) -> list[str]:
    return [x.slug for x in service.search(service.SearchRequest(q=q, **filters)).listings]


def indexed_ids() -> set[int]:
    backend = indexing.backend()
    if hasattr(backend, "indexed_ids"):  # PostgreSQL: the search_documents rows
        return backend.indexed_ids()
    return {int(doc["id"]) for doc in backend._searcher().documents()}


# Tests of the Whoosh index's own machinery (a write after commit that may fail and is queued,
# the index folders a rebuild swaps); the PostgreSQL backend's counterparts follow them.
whoosh_only = pytest.mark.parametrize("search_backend", ["whoosh"])


@pytest.fixture
def catalog(make):
    return build_catalog(make)


def test_jieba_loaded_at_import_with_its_cache_under_instance(app):
    assert jieba.dt.initialized
    assert jieba.dt.cache_file == "jieba.cache"
    assert jieba.dt.tmp_dir and jieba.dt.tmp_dir.endswith("instance")


def test_edit_is_found_after_commit_and_not_before(catalog):
    paper = catalog["paper"]
    paper.title_en = "Handmade calligraphy sheets"
    db.session.flush()
    before = service.search(service.SearchRequest(q="calligraphy sheets"))
    # flushed, not committed: at best a partial match on "calligraphy"
    assert before.partial or "xuan-paper" not in [x.slug for x in before.listings]
    db.session.commit()
    assert slugs("calligraphy sheets")[0] == "xuan-paper"


def test_rolled_back_change_never_reaches_the_index(catalog):
    paper = catalog["paper"]
    paper.title_zh = "临时标题测试"
    db.session.flush()
    db.session.rollback()
    db.session.add(db.session.get(Listing, catalog["eggs"].id))
    db.session.commit()  # a later commit must not replay the rolled-back change
    assert slugs("临时标题测试") == []
    assert slugs("宣纸")[0] == "xuan-paper"


def test_archived_draft_and_deleted_listings_leave_the_index(catalog):
    catalog["paper"].status = "archived"
    db.session.commit()
    assert "xuan-paper" not in slugs("宣纸")
    catalog["tea"].status = "draft"
    db.session.commit()
    assert "green-tea" not in slugs("绿茶")
    eggs_id = catalog["eggs"].id
    db.session.delete(catalog["eggs"])
    db.session.commit()
    assert eggs_id not in indexed_ids()
    assert slugs("鸡蛋") == []
    catalog["paper"].status = "published"
    db.session.commit()
    assert slugs("宣纸")[0] == "xuan-paper"


def test_suspending_a_home_hides_all_its_listings(catalog):
    anhui = catalog["anhui"]
    anhui.status = "suspended"
    db.session.commit()
    assert slugs("宣纸") == []
    assert slugs("泾县") == []
    anhui.status = "active"
    db.session.commit()
    assert set(slugs("泾县")) == {"xuan-paper", "paper-workshop", "heritage-fan"}


def test_home_rename_reaches_its_listings(catalog):
    catalog["jiangxi"].name_en = "Tea Hill Home"
    db.session.commit()
    assert set(slugs("Tea Hill")) == {"green-tea", "tea-house-stay", "eggs"}


def test_new_session_changes_next_available_date(catalog, make):
    before = slugs(kind="tour", sort="soonest")
    assert before[0] == "red-stories"
    make.session(catalog["village_change"] if "village_change" in catalog else
                 db.session.scalar(select(Listing).where(Listing.slug == "village-change")), days=1)
    assert slugs(kind="tour", sort="soonest")[0] == "village-change"


@whoosh_only
def test_failed_index_write_keeps_the_save_logs_and_queues(catalog, monkeypatch, caplog):
    backend = indexing.backend()
    original = backend.update

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(backend, "update", broken)
    catalog["paper"].title_en = "Queued rice paper edition"
    with caplog.at_level(logging.ERROR, logger="market.search.indexing"):
        db.session.commit()
    assert "search index update failed" in caplog.text
    db.session.expire_all()
    assert db.session.get(Listing, catalog["paper"].id).title_en == "Queued rice paper edition"
    queued = db.session.scalars(select(SearchQueue.listing_id)).all()
    assert catalog["paper"].id in queued
    assert slugs("edition") == []
    monkeypatch.setattr(backend, "update", original)
    catalog["eggs"].price_fen = 4600  # the next update drains the queue first
    db.session.commit()
    assert slugs("edition") == ["xuan-paper"]
    assert db.session.scalars(select(SearchQueue)).all() == []


@whoosh_only
def test_cli_update_applies_the_queue(app, catalog, monkeypatch):
    monkeypatch.setattr(indexing.backend(), "update", lambda *a, **k: (_ for _ in ()).throw(OSError("x")))
    catalog["tea"].title_en = "Cloud mist tea"
    db.session.commit()
    monkeypatch.undo()
    result = app.test_cli_runner().invoke(args=["search", "update"])
    assert result.exit_code == 0, result.output
    assert slugs("cloud mist") == ["green-tea"]


@whoosh_only
def test_changes_during_a_rebuild_are_queued_and_replayed(app, catalog):
    base = app.config["SEARCH_INDEX_DIR"]
    (base / "REBUILDING").write_text("1")
    catalog["tea"].title_en = "Rebuild-time tea"
    db.session.commit()
    assert db.session.scalars(select(SearchQueue.listing_id)).all() == [catalog["tea"].id]
    db.session.rollback()  # end this read, as a request would
    (base / "REBUILDING").unlink()
    indexing.reindex()
    assert db.session.scalars(select(SearchQueue)).all() == []
    assert slugs("rebuild-time") == ["green-tea"]


@whoosh_only
def test_a_change_committed_while_a_rebuild_swaps_in_is_not_lost(app, catalog, monkeypatch):
    """The rebuild read the database before this change was committed; the change's index
    write reaches the old index, and the rebuild swaps in, replays its queue and ends before
    the write returns. The change must be in the new index all the same."""
    backend = indexing.backend()
    with Session(db.engine) as session:
        before_the_change = list(documents.all_documents(session))
    (app.config["SEARCH_INDEX_DIR"] / "REBUILDING").write_text("1")  # the rebuild is running
    write = backend.update
    swapped = []

    def write_then_rebuild_finishes(documents, removed):
        write(documents, removed)
        if not swapped:
            swapped.append(True)
            backend.rebuild(before_the_change, after_swap=lambda: indexing.update_listings(app=app))

    monkeypatch.setattr(backend, "update", write_then_rebuild_finishes)
    catalog["tea"].title_en = "Mid-swap tea"
    db.session.commit()
    assert swapped and not backend.rebuilding()
    assert slugs("mid-swap") == ["green-tea"]


QUERIES = ["", "宣纸", "xuanzhi", "xuan zhi", "rice paper", "红色故事", "storytelling", "tea", "非遗",
           "泾县", "Wuyuan", "nothing-like-this"]
FILTERS = [{}, {"kind": "tour"}, {"sort": "price"}, {"sort": "soonest"}, {"price_band": "100-300"}]


def snapshot():
    out = {}
    for q in QUERIES:
        for filters in FILTERS:
            page = service.search(service.SearchRequest(q=q, **filters))
            ids = [x.id for x in page.listings]
            key = (q, tuple(sorted(filters.items())))
            # Relevance ties may order differently across segments; sorted orders must match.
            out[key] = (page.total, ids if filters.get("sort") else sorted(ids), page.facets)
    return out


@whoosh_only
def test_reindex_gives_the_same_results_as_incremental_updates(app, catalog, make):
    # A history of edits, archives and deletes, applied incrementally.
    catalog["paper"].title_en = "Handmade Xuan rice paper, four feet"
    catalog["story2"].status = "archived"
    db.session.commit()
    db.session.delete(catalog["eggs"])
    db.session.commit()
    make.listing(catalog["hebei"], "produce", slug="millet", title_zh="小米", title_en="Millet")
    incremental = snapshot()
    before = indexing.backend().current_path()
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "Indexed 7 listings" in result.output
    after = indexing.backend().current_path()
    assert after != before and after.exists()
    assert snapshot() == incremental
    # A second rebuild keeps the previous folder (readers may hold it) and drops older ones.
    indexing.reindex()
    folders = sorted(p.name for p in app.config["SEARCH_INDEX_DIR"].iterdir() if p.is_dir())
    assert len(folders) == 2 and after.name in folders and before.name not in folders


def soonest_tours() -> list[str]:
    return slugs(kind="tour", sort="soonest")


def queued() -> set[int]:
    db.session.commit()  # a fresh snapshot: the index updates commit in sessions of their own
    return set(db.session.scalars(select(SearchQueue.listing_id)))


@whoosh_only
def test_a_session_selling_out_or_opening_again_is_queued_then_re_sorts_soonest(catalog):
    from market.booking import service as booking

    story_session, story = catalog["session"], catalog["story"]
    assert soonest_tours()[0] == "red-stories"
    assert booking.reserve_seats(story_session.id, story_session.capacity, utcnow())
    db.session.commit()
    assert queued() == {story.id}  # queued with the booking, not written in the buyer's request
    assert soonest_tours()[0] == "red-stories"
    indexing.update_listings()  # what `flask search update` and searches do
    assert queued() == set()
    assert soonest_tours()[:2] == ["paper-workshop", "village-change"]
    booking.release_seats(story_session.id, 1)
    db.session.commit()
    indexing.update_listings()
    assert soonest_tours()[0] == "red-stories"


def test_a_booking_that_leaves_seats_queues_nothing(catalog):
    from market.booking import service as booking

    assert booking.reserve_seats(catalog["session"].id, 1, utcnow())
    db.session.commit()
    assert queued() == set()


@whoosh_only
def test_the_search_page_only_reads_and_the_job_applies_the_queue(catalog, client):
    from market.booking import service as booking
    from market.search.tasks import apply_queue

    story_session = catalog["session"]
    assert booking.reserve_seats(story_session.id, story_session.capacity, utcnow())
    db.session.commit()
    waiting = queued()
    assert waiting
    client.get("/search?kind=tour&sort=soonest")
    assert queued() == waiting  # the page did not apply it
    db.session.commit()
    assert apply_queue.call_local() >= 1  # the 30-second schedule
    page = client.get("/search?kind=tour&sort=soonest").get_data(as_text=True)
    assert page.index("paper-workshop") < page.index("red-stories")
    assert queued() == set()


def test_goods_selling_out_move_behind_goods_in_stock(catalog):
    from market.booking import service as booking

    eggs = catalog["eggs"]
    eggs.stock = 2
    db.session.commit()
    assert slugs("鸡蛋", sort="soonest") == ["eggs"]
    assert booking.reserve_stock(eggs.id, 2)
    db.session.commit()
    indexing.update_listings()
    produce = slugs(kind="produce", sort="soonest")
    assert produce.index("green-tea") < produce.index("eggs")
    booking.release_stock(eggs.id, 1)
    db.session.commit()
    indexing.update_listings()
    produce = slugs(kind="produce", sort="soonest")
    assert produce.index("eggs") < produce.index("green-tea")


# ---- PostgreSQL: the search row is written in the listing's own transaction -------------------

def search_rows() -> dict[int, tuple]:
    db.session.commit()
    return {row[0]: tuple(row[1:]) for row in db.session.execute(
        select(SearchDocument.listing_id, SearchDocument.price_fen, SearchDocument.next_date))}


@pytest.mark.postgres
@pytest.mark.parametrize("search_backend", ["postgres"])
def test_postgres_row_commits_with_the_listing_or_not_at_all(catalog, monkeypatch):
    backend = indexing.backend()
    paper_id = catalog["paper"].id
    assert search_rows()[paper_id][0] == 12800
    monkeypatch.setattr(backend, "write", lambda *a, **k: (_ for _ in ()).throw(OSError("no")))
    catalog["paper"].price_fen = 9900
    with pytest.raises(OSError):
        db.session.commit()  # the listing's save fails with its search row: nothing drifts
    db.session.rollback()
    monkeypatch.undo()
    db.session.expire_all()
    assert db.session.get(Listing, paper_id).price_fen == 12800
    assert search_rows()[paper_id][0] == 12800
    catalog["paper"].price_fen = 9900
    db.session.commit()
    assert search_rows()[paper_id][0] == 9900
    assert slugs("宣纸", sort="price")[0] == "xuan-paper"
    assert db.session.scalars(select(SearchQueue)).all() == []


@pytest.mark.postgres
@pytest.mark.parametrize("search_backend", ["postgres"])
def test_postgres_booking_re_sorts_soonest_at_once_without_a_queue(catalog, client):
    from market.booking import service as booking

    story_session = catalog["session"]
    assert soonest_tours()[0] == "red-stories"
    assert booking.reserve_seats(story_session.id, story_session.capacity, utcnow())
    db.session.commit()
    assert queued() == set()  # nothing waits for the 30-second job
    assert soonest_tours()[:2] == ["paper-workshop", "village-change"]
    page = client.get("/search?kind=tour&sort=soonest").get_data(as_text=True)
    assert page.index("paper-workshop") < page.index("red-stories")
    booking.release_seats(story_session.id, 1)
    db.session.commit()
    assert soonest_tours()[0] == "red-stories"


def derived_tables_match_rows() -> bool:
    """search_postings holds exactly each row's lexemes with their term frequencies,
    search_spellings each spelling word with the number of rows holding it (as ts_stat counts),
    and the version row the number of rows."""
    from sqlalchemy import text

    db.session.commit()
    postings = set(db.session.execute(text("SELECT listing_id, term, tf FROM search_postings")).all())
    derived = set(db.session.execute(text(
        "SELECT listing_id, hashtextextended(lexeme, 0), cardinality(positions) "
        "FROM search_documents, unnest(terms)")).all())
    spellings = set(db.session.execute(text("SELECT word, listings FROM search_spellings")).all())
    counted = set(db.session.execute(text(
        "SELECT word, ndoc FROM ts_stat('SELECT spell FROM search_documents')")).all())
    listings = db.session.execute(text(
        "SELECT listings = (SELECT count(*) FROM search_documents) FROM search_version")).scalar()
    return (bool(postings) and postings == derived and bool(spellings) and spellings == counted
            and listings)


@pytest.mark.postgres
@pytest.mark.parametrize("search_backend", ["postgres"])
def test_postgres_reindex_matches_incremental_and_keeps_a_change_made_meanwhile(app, catalog, make):
    catalog["paper"].title_en = "Handmade Xuan rice paper, four feet"
    catalog["story2"].status = "archived"
    db.session.commit()
    db.session.delete(catalog["eggs"])
    db.session.commit()
    make.listing(catalog["hebei"], "produce", slug="millet", title_zh="小米", title_en="Millet")
    incremental = snapshot()
    assert derived_tables_match_rows()  # an edit, an archive and a deletion left no stale posting or count
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "Indexed 7 listings" in result.output
    assert snapshot() == incremental
    # A rebuild that read the listings before a change committed must not write the old text over
    # the row the change's own transaction wrote.
    read = []

    def read_then_a_change_commits():
        with Session(db.engine) as session:
            read.extend(documents.all_documents(session))
        catalog["tea"].title_en = "Mid-rebuild tea"
        db.session.commit()
        yield from read

    assert indexing.backend().rebuild(read_then_a_change_commits()) == 7
    assert slugs("mid-rebuild") == ["green-tea"]
    assert indexed_ids() == {d.listing_id for d in read}
    assert derived_tables_match_rows()
    # a rebuild that no longer lists a listing removes its row and its postings
    gone = read[0].listing_id
    assert indexing.backend().rebuild(iter(read[1:])) == 6
    assert gone not in indexed_ids() and derived_tables_match_rows()


def test_postgres_backend_on_sqlite_refuses_to_start(tmp_path):
    from market import create_app

    with pytest.raises(RuntimeError, match="SEARCH_BACKEND=postgres needs a PostgreSQL database"):
        create_app({"TESTING": True, "SEARCH_BACKEND": "postgres",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    with pytest.raises(RuntimeError, match="SEARCH_BACKEND='solr'"):
        create_app({"TESTING": True, "SEARCH_BACKEND": "solr",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})


@pytest.mark.postgres
@pytest.mark.parametrize("search_backend", ["postgres"])
def test_postgres_search_index_has_no_pending_list_and_terms_are_stored_plain(app, make):
    """A pending list is scanned in full by every term look-up; a compressed tsvector is
    unpacked each time a search reads it (models/search.py, migrations 0022 and 0024)."""
    from sqlalchemy import text

    options = db.session.execute(text(
        "SELECT reloptions FROM pg_class WHERE relname = 'ix_search_documents_terms' "
        "AND relnamespace = current_schema()::regnamespace")).scalar()
    assert "fastupdate=off" in options
    storage, table_options = db.session.execute(text(
        "SELECT attstorage, reloptions FROM pg_attribute JOIN pg_class ON pg_class.oid = attrelid "
        "WHERE attname = 'terms' AND attrelid = 'search_documents'::regclass")).one()
    assert storage == "e" and "toast_tuple_target=8160" in table_options
    make.listing(make.home(), description_en=" ".join(f"sheet{n}" for n in range(400)))  # 2 kB+
    sizes = db.session.execute(text(
        "SELECT pg_column_size(terms), pg_column_compression(terms) FROM search_documents")).all()
    assert sizes and max(size for size, _ in sizes) > 2000
    assert {compression for _, compression in sizes} == {None}
