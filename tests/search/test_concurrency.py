"""Two processes search while a third rebuilds the index: every answer stays complete."""

import multiprocessing
import queue

import pytest

from market import create_app
from models import Home, Listing, db
from tests.search import search_workers


@pytest.fixture
def shared_db(tmp_path):
    """A SQLite file (not the per-test PostgreSQL schema) that child processes can open."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    index_dir = str(tmp_path / "search")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SEARCH_INDEX_DIR": index_dir})
    with app.app_context():
        db.create_all()
        home = Home(slug="h", name_zh="小岭村幸福院", name_en="Xiaoling Home", province_zh="安徽省",
                    province_en="Anhui", county_zh="泾县", county_en="Jing", village_zh="小岭村",
                    village_en="Xiaoling")
        db.session.add(home)
        db.session.flush()
        for n in range(300):
            paper = n % 3 == 0
            db.session.add(Listing(
                home_id=home.id, kind="craft", slug=f"l{n}", status="published", price_fen=1000 + n,
                title_zh=f"手工宣纸{n}" if paper else f"竹编篮子{n}",
                title_en=f"Rice paper {n}" if paper else f"Bamboo basket {n}", stock=5))
        db.session.commit()
        db.engine.dispose()
    return url, index_dir


def test_two_searchers_and_a_reindexer(shared_db):
    url, index_dir = shared_db
    expected = {"宣纸": 100, "xuanzhi": 100, "rice paper": 100, "竹编": 200, "": 300}
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=search_workers.search_loop, args=(url, index_dir, 6.0, expected, out))
             for _ in range(2)]
    procs.append(ctx.Process(target=search_workers.reindex_loop, args=(url, index_dir, 4, out)))
    for proc in procs:
        proc.start()
    reports = []
    try:
        for _ in procs:
            reports.append(out.get(timeout=90))
    except queue.Empty:
        pytest.fail(f"workers did not finish: {reports}")
    finally:
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
    for proc in procs:
        assert proc.exitcode == 0
    searchers = [r for r in reports if r[0] == "searcher"]
    reindexer = [r for r in reports if r[0] == "reindexer"]
    assert reindexer == [("reindexer", [300, 300, 300, 300], [])]
    assert len(searchers) == 2
    for _name, done, wrong in searchers:
        assert wrong == []
        assert done > 50
