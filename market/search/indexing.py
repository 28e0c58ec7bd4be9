"""Keeping the search index in step with committed listings.

The index is updated AFTER a commit, from fresh reads of committed rows (never from the
objects of the session that just committed): flush events collect the ids of changed
listings, homes, tour sessions, rooms and booked nights in `session.info`; `after_commit`
turns them into listing ids, reads those listings again in a separate session and writes the
index. If the index write fails the save has already succeeded: the failure is logged and the
ids go into `search_queue`, which every later update (and `flask search update`) drains first.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import Flask, current_app, has_app_context
from sqlalchemy import delete, event, func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from market.hooks import availability_changed
from market.search.backend import SearchBackend
from market.search.documents import KIND_WORDS, all_documents, documents_for
from models import Home, Listing, Room, RoomNight, SearchQueue, TourSession, db

log = logging.getLogger(__name__)
_PENDING = "search_pending"


BACKENDS = ("whoosh", "postgres")


def init_app(app: Flask) -> None:
    from market.search import understanding

    understanding.warm()
    app.extensions["search_backend"] = make_backend(app)
    _listen_once()


def make_backend(app: Flask) -> SearchBackend:
    """The backend SEARCH_BACKEND names; a clear error at startup when it cannot work here."""
    name = app.config.get("SEARCH_BACKEND") or "whoosh"
    if name not in BACKENDS:
        raise RuntimeError(f"SEARCH_BACKEND={name!r}: use one of {', '.join(BACKENDS)}.")
    if name == "postgres":
        from market.search.pg_backend import PostgresBackend

        dialect = make_url(str(app.config["SQLALCHEMY_DATABASE_URI"])).get_backend_name()
        if dialect != "postgresql":
            raise RuntimeError(
                f"SEARCH_BACKEND=postgres needs a PostgreSQL database (DATABASE_URL), not {dialect}: "
                "set SEARCH_BACKEND=whoosh or point DATABASE_URL at PostgreSQL.")
        return PostgresBackend(lambda: db.engine, kind_words=KIND_WORDS)
    from market.search.whoosh_backend import WhooshBackend

    return WhooshBackend(app.config["SEARCH_INDEX_DIR"], kind_words=KIND_WORDS)


def in_transaction(app: Flask) -> bool:
    """True when the index is written in each listing's own transaction (the PostgreSQL
    backend): nothing is queued or written after commit."""
    return getattr(app.extensions.get("search_backend"), "write", None) is not None


def backend(app: Flask | None = None) -> SearchBackend:
    return (app or current_app).extensions["search_backend"]



def _listing_ids_for(session: Session, pending: dict) -> set[int]:
    ids = set(pending.get("listings", ()))
    if pending.get("homes"):
        ids |= set(session.scalars(select(Listing.id).where(Listing.home_id.in_(pending["homes"]))))
    if pending.get("rooms"):
        ids |= set(session.scalars(select(Room.listing_id).where(Room.id.in_(pending["rooms"]))))
    return ids


def update_listings(listing_ids: Iterable[int] = (), *, homes: Iterable[int] = (),
                    rooms: Iterable[int] = (), app: Flask | None = None) -> bool:
    """Bring these listings' index entries in line with the committed database, after
    applying whatever is queued. Never raises: on failure the ids are queued and logged.
    Returns True when the index was written."""
    app = app or current_app._get_current_object()
    engine = db.engine
    pending = {"listings": set(listing_ids), "homes": set(homes), "rooms": set(rooms)}
    # Asked before the write: a rebuild that swaps in while this write goes to the old index
    # must still find these ids queued when it replays the queue after its swap.
    during_rebuild = backend(app).rebuilding()
    ids: set[int] = set()
    queued_rows: list[int] = []
    try:
        with Session(engine) as session:
            ids = _listing_ids_for(session, pending)
            for row_id, listing_id in session.execute(select(SearchQueue.id, SearchQueue.listing_id)):
                queued_rows.append(row_id)
                ids.add(listing_id)
            if not ids:
                return True
            if during_rebuild:
                session.rollback()  # end this read before another connection writes
                _queue(engine, ids, "during rebuild")
            documents, removed = documents_for(session, ids)
            session.rollback()
        backend(app).update(documents, removed)
    except Exception as error:  # the save already succeeded; never let the index break it
        log.exception("search index update failed for listings %s", sorted(ids)[:50])
        _queue(engine, ids or pending["listings"], f"{type(error).__name__}: {error}"[:200])
        return False
    if queued_rows:
        try:
            with Session(engine) as session:
                session.execute(delete(SearchQueue).where(SearchQueue.id.in_(queued_rows)))
                session.commit()
        except Exception:
            log.exception("could not update the search queue")
    return True


def _queue(engine, listing_ids: Iterable[int], reason: str) -> None:
    try:
        with Session(engine) as session:
            session.add_all(SearchQueue(listing_id=i, reason=reason) for i in set(listing_ids))
            session.commit()
    except Exception:
        log.exception("could not queue listings %s for the search index", sorted(listing_ids)[:50])


def queued_count() -> int:
    return db.session.scalar(select(func.count()).select_from(SearchQueue)) or 0


def reindex(app: Flask | None = None) -> int:
    """Build a fresh index from the database beside the live one and swap it in."""
    app = app or current_app._get_current_object()

    def replay_queue():
        update_listings(app=app)

    with Session(db.engine) as session:
        count = backend(app).rebuild(all_documents(session), after_swap=replay_queue)
    update_listings(app=app)  # anything queued while the marker was still up
    return count



_listening = False


def _listen_once() -> None:
    global _listening
    if _listening:
        return
    from flask_sqlalchemy.session import Session as FlaskSession

    event.listen(FlaskSession, "after_flush", _collect)
    event.listen(FlaskSession, "before_commit", _write_in_transaction)
    event.listen(FlaskSession, "after_commit", _apply)
    event.listen(FlaskSession, "after_rollback", _forget)
    availability_changed.connect(_on_availability_changed)
    _listening = True


def _pending(session) -> dict[str, set]:
    return session.info.setdefault(_PENDING, {"listings": set(), "homes": set(), "rooms": set()})


def _on_availability_changed(session, listing_ids=(), room_ids=()) -> None:
    """Seats, stock or nights ran out or came back: queue the listings in the buyer's own
    transaction (one small insert) instead of writing the index inside their request; the
    scheduled job applies the queue every 30 s (market/search/tasks.py), as does `flask search
    update`. Search pages never write."""
    listing_ids = set(listing_ids)
    if has_app_context() and in_transaction(current_app):
        # The PostgreSQL backend rewrites these listings' rows in this same transaction.
        _pending(session)["listings"].update(listing_ids)
        _pending(session)["rooms"].update(room_ids)
        return
    if room_ids:
        listing_ids |= set(session.scalars(select(Room.listing_id).where(Room.id.in_(room_ids))))
    if listing_ids:
        session.execute(insert(SearchQueue), [{"listing_id": i, "reason": "availability"}
                                              for i in sorted(listing_ids)])


def _collect(session, _flush_context) -> None:
    pending = _pending(session)
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Listing):
            pending["listings"].add(obj.id)
        elif isinstance(obj, Home):
            pending["homes"].add(obj.id)
        elif isinstance(obj, TourSession):
            pending["listings"].add(obj.listing_id)
        elif isinstance(obj, Room):
            pending["listings"].add(obj.listing_id)
        elif isinstance(obj, RoomNight):
            pending["rooms"].add(obj.room_id)
    for values in pending.values():
        values.discard(None)


def _forget(session) -> None:
    session.info.pop(_PENDING, None)


def _write_in_transaction(session) -> None:
    """The PostgreSQL backend: the changed listings' rows are rewritten in the transaction that
    changed them, just before it commits, so the listing and its search row commit together (or
    not at all) and no queue or later job is needed."""
    if not has_app_context():
        return
    app = current_app._get_current_object()
    if not in_transaction(app) or not app.config["SEARCH_SYNC"]:
        return
    session.flush()  # before_commit runs before the commit's own flush
    pending = session.info.pop(_PENDING, None)
    if not pending or not any(pending.values()):
        return
    documents, removed = documents_for(session, _listing_ids_for(session, pending))
    backend(app).write(session.connection(), documents, removed)


def _apply(session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending or not any(pending.values()) or not has_app_context():
        return
    app = current_app._get_current_object()
    if "search_backend" not in app.extensions or not app.config["SEARCH_SYNC"] or in_transaction(app):
        return
    update_listings(pending["listings"], homes=pending["homes"], rooms=pending["rooms"], app=app)


