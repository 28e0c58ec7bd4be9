"""Processes for the concurrency test: searchers that check every answer, and a re-indexer."""

import time


def _app(db_url: str, index_dir: str):
    from market import create_app

    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_url,
                       "SEARCH_INDEX_DIR": index_dir, "SERVER_NAME": "localhost"})


def search_loop(db_url: str, index_dir: str, seconds: float, expected: dict, out) -> None:
    from market.database import set_write_intent
    from market.search import service
    from models import db

    app = _app(db_url, index_dir)
    done, wrong = 0, []
    with app.test_request_context("/search"):
        set_write_intent(False)  # as in a GET request: deferred reads
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for q, total in expected.items():
                got = service.search(service.SearchRequest(q=q)).total
                db.session.remove()  # a request's end
                if got != total:
                    wrong.append((q, got, total))
                done += 1
    out.put(("searcher", done, wrong[:5]))


def reindex_loop(db_url: str, index_dir: str, times: int, out) -> None:
    from market.search import indexing

    app = _app(db_url, index_dir)
    counts = []
    with app.app_context():
        for _ in range(times):
            counts.append(indexing.reindex())
    out.put(("reindexer", counts, []))
