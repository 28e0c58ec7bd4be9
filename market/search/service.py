"""Search use cases: keep the index in step with committed listings, and answer the search page.

The index is updated AFTER a commit, from fresh reads of committed rows (never from the
objects of the session that just committed): flush events collect the ids of changed
listings, homes, tour sessions, rooms and booked nights in `session.info`; `after_commit`
turns them into listing ids, reads those listings again in a separate session and writes the
index. If the index write fails the save has already succeeded: the failure is logged and the
ids go into `search_queue`, which every later update (and `flask search update`) drains first.
"""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from time import monotonic

from flask import Flask, current_app, has_app_context
from sqlalchemy import and_, delete, event, exists, func, insert, select
from sqlalchemy.orm import Session, joinedload

from market import clock
from market.database import writing
from market.hooks import availability_changed
from market.search.analysis import query_words
from market.search.backend import FACETS, PRICE_BANDS, Document, Query, Results, SearchBackend
from models import Home, Listing, Photo, Room, RoomNight, SearchQueue, TourSession, db
from models.catalog import KINDS

log = logging.getLogger(__name__)

PAGE_SIZE = 20
MAX_PAGE = 500
STAY_HORIZON_DAYS = 365
MAX_STAY_NIGHTS = 30
KIND_WORDS = {
    "tour": "旅游 研学 体验 tour workshop experience",
    "homestay": "民宿 住宿 homestay stay lodging room",
    "produce": "农产品 土特产 produce food farm",
    "craft": "手工艺 手工 craft handicraft handmade",
}
_PENDING = "search_pending"


class SearchError(Exception):
    """Raised for search input that cannot be used (the view shows the message)."""


# ---- the backend ----------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    from market.search.whoosh_backend import WhooshBackend

    app.config.setdefault("SEARCH_SYNC", True)
    app.config.setdefault("SEARCH_QUEUE_SECONDS", 30)
    app.extensions["search_backend"] = WhooshBackend(app.config["SEARCH_INDEX_DIR"],
                                                     kind_words=KIND_WORDS)
    _listen_once()


def backend(app: Flask | None = None) -> SearchBackend:
    return (app or current_app).extensions["search_backend"]


# ---- documents from committed rows -----------------------------------------------------------

def next_available(session: Session, listings: list[Listing], now: datetime | None = None
                   ) -> dict[int, date | None]:
    """Next date each listing can be had: a tour's next session with free seats, a homestay's
    next night with a free active room, goods today (or at harvest / after the lead time)."""
    now = now or clock.now()
    today = clock.local_today(now)
    zone = clock.HOME_ZONE
    result: dict[int, date | None] = {listing.id: None for listing in listings}
    tours = [x.id for x in listings if x.kind == "tour"]
    stays = [x.id for x in listings if x.kind == "homestay"]
    if tours:
        rows = session.execute(
            select(TourSession.listing_id, func.min(TourSession.starts_at))
            .where(TourSession.listing_id.in_(tours), TourSession.starts_at > now,
                   TourSession.reserved < TourSession.capacity)
            .group_by(TourSession.listing_id)
        )
        for listing_id, starts_at in rows:
            if starts_at is not None:
                if isinstance(starts_at, str):  # min() may hand back text on SQLite
                    starts_at = datetime.fromisoformat(starts_at)
                if starts_at.tzinfo is None:
                    starts_at = starts_at.replace(tzinfo=UTC)
                result[listing_id] = starts_at.astimezone(zone).date()
    if stays:
        rooms = session.execute(
            select(Room.id, Room.listing_id).where(Room.listing_id.in_(stays), Room.active.is_(True))
        ).all()
        horizon = today + timedelta(days=STAY_HORIZON_DAYS)
        booked: dict[int, set[date]] = {}
        if rooms:
            for room_id, night in session.execute(
                select(RoomNight.room_id, RoomNight.night).where(
                    RoomNight.room_id.in_([r for r, _ in rooms]),
                    RoomNight.night >= today, RoomNight.night < horizon)
            ):
                booked.setdefault(room_id, set()).add(night)
        for room_id, listing_id in rooms:
            nights = booked.get(room_id, set())
            day = today
            while day in nights and day < horizon:
                day += timedelta(days=1)
            if day < horizon and (result[listing_id] is None or day < result[listing_id]):
                result[listing_id] = day
    for listing in listings:
        if listing.kind in ("produce", "craft"):
            if listing.made_to_order:
                result[listing.id] = today + timedelta(days=listing.lead_days or 0)
            elif listing.stock is not None and listing.stock - listing.reserved > 0:
                harvest = listing.harvest_date
                result[listing.id] = harvest if harvest and harvest > today else today
    return result


def _visible(listing: Listing | None) -> bool:
    return (listing is not None and listing.status == "published"
            and listing.home is not None and listing.home.status == "active")


def _document(listing: Listing, next_date: date | None) -> Document:
    home = listing.home
    return Document(
        listing_id=listing.id,
        kind=listing.kind,
        home_id=home.id,
        province=home.province_zh,
        price_fen=listing.price_fen,
        next_date=next_date,
        title_zh=listing.title_zh or "",
        title_en=listing.title_en or "",
        description_zh=listing.description_zh or "",
        description_en=listing.description_en or "",
        tags=(listing.tags or "").replace(",", " ").replace("，", " "),
        place_zh=" ".join((home.name_zh, home.village_zh, home.county_zh, home.province_zh)),
        place_en=" ".join((home.name_en, home.village_en, home.county_en, home.province_en)),
        kind_words=KIND_WORDS.get(listing.kind, ""),
    )


def documents_for(session: Session, listing_ids: Iterable[int]) -> tuple[list[Document], list[int]]:
    """Documents of the visible listings among these ids; the other ids are to be removed."""
    ids = sorted(set(listing_ids))
    documents: list[Document] = []
    removed: list[int] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        listings = {x.id: x for x in session.scalars(
            select(Listing).where(Listing.id.in_(chunk)).options(joinedload(Listing.home)))}
        visible = [x for x in listings.values() if _visible(x)]
        dates = next_available(session, visible)
        for listing_id in chunk:
            listing = listings.get(listing_id)
            if _visible(listing):
                documents.append(_document(listing, dates[listing_id]))
            else:
                removed.append(listing_id)
    return documents, removed


def all_documents(session: Session, batch: int = 1000) -> Iterator[Document]:
    """Every visible listing, in id order, read in batches (keyset paging by id)."""
    last = 0
    while True:
        listings = list(session.scalars(
            select(Listing).join(Home, Home.id == Listing.home_id)
            .where(Listing.status == "published", Home.status == "active", Listing.id > last)
            .options(joinedload(Listing.home)).order_by(Listing.id).limit(batch)))
        if not listings:
            session.rollback()
            return
        dates = next_available(session, listings)
        documents = [_document(listing, dates[listing.id]) for listing in listings]
        last = listings[-1].id
        session.expunge_all()
        session.rollback()  # one short read per batch: no lock held while the batch is indexed
        yield from documents


# ---- keeping the index in step ---------------------------------------------------------------

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


# ---- session events --------------------------------------------------------------------------

_listening = False


def _listen_once() -> None:
    global _listening
    if _listening:
        return
    from flask_sqlalchemy.session import Session as FlaskSession

    event.listen(FlaskSession, "after_flush", _collect)
    event.listen(FlaskSession, "after_commit", _apply)
    event.listen(FlaskSession, "after_rollback", _forget)
    availability_changed.connect(_on_availability_changed)
    _listening = True


def _pending(session) -> dict[str, set]:
    return session.info.setdefault(_PENDING, {"listings": set(), "homes": set(), "rooms": set()})


def mark_changed(session, listing_ids: Iterable[int]) -> None:
    """For writers that change listings through bulk statements (no ORM flush): the ids are
    re-indexed after the session commits."""
    _pending(session)["listings"].update(listing_ids)


def _on_availability_changed(session, listing_ids=(), room_ids=()) -> None:
    """Seats, stock or nights ran out or came back: queue the listings in the buyer's own
    transaction (one small insert) instead of writing the index inside their request; searches
    apply the queue (see `apply_queue_if_due`), as does `flask search update`."""
    listing_ids = set(listing_ids)
    if room_ids:
        listing_ids |= set(session.scalars(select(Room.listing_id).where(Room.id.in_(room_ids))))
    if listing_ids:
        session.execute(insert(SearchQueue), [{"listing_id": i, "reason": "availability"}
                                              for i in sorted(listing_ids)])


def apply_queue_if_due(app: Flask | None = None) -> None:
    """Apply queued listings when some are waiting, at most every SEARCH_QUEUE_SECONDS per
    process, so a search sees what sold out a moment ago."""
    app = app or current_app._get_current_object()
    now = monotonic()
    if now - app.extensions.get("search_queue_applied", float("-inf")) < app.config["SEARCH_QUEUE_SECONDS"]:
        return
    app.extensions["search_queue_applied"] = now
    if db.session.scalar(select(SearchQueue.id).limit(1)) is None:
        return
    with writing(db.session):
        update_listings(app=app)


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


def _apply(session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending or not any(pending.values()) or not has_app_context():
        return
    app = current_app._get_current_object()
    if "search_backend" not in app.extensions or not app.config.get("SEARCH_SYNC", True):
        return
    update_listings(pending["listings"], homes=pending["homes"], rooms=pending["rooms"], app=app)


# ---- answering the search page ---------------------------------------------------------------

@dataclass
class SearchRequest:
    q: str = ""
    kind: str | None = None
    province: str | None = None
    home_id: int | None = None
    price_band: str | None = None
    sort: str = "relevance"
    tour_date: date | None = None
    check_in: date | None = None
    check_out: date | None = None
    page: int = 1


@dataclass
class SearchPage:
    request: SearchRequest
    words: list[str]
    listings: list[Listing]
    total: int
    page: int
    pages: int
    facets: dict[str, list[tuple[str, str, int]]]  # facet -> [(value, label, count)]
    next_dates: dict[int, date | None] = field(default_factory=dict)
    suggestion: str | None = None
    nearest_kinds: tuple[str, ...] = KINDS  # nothing found: the kind pages, nearest first


def _tour_ids_on(day: date, now: datetime) -> set[int]:
    start = clock.start_of_day(day)
    end = start + timedelta(days=1)
    return set(db.session.scalars(
        select(TourSession.listing_id).where(
            TourSession.starts_at >= start, TourSession.starts_at < end, TourSession.starts_at > now,
            TourSession.reserved < TourSession.capacity).distinct()))


def _stay_ids_free(check_in: date, check_out: date) -> set[int]:
    booked = exists().where(and_(RoomNight.room_id == Room.id, RoomNight.night >= check_in,
                                 RoomNight.night < check_out))
    return set(db.session.scalars(
        select(Room.listing_id).where(Room.active.is_(True), ~booked).distinct()))


def _attach_thumbnails(listings: list[Listing]) -> None:
    if not listings:
        return
    first = (select(Photo.listing_id, func.min(Photo.id).label("photo_id"))
             .where(Photo.listing_id.in_([x.id for x in listings])).group_by(Photo.listing_id)
             .subquery())
    thumbs = dict(db.session.execute(
        select(Photo.listing_id, Photo.thumb_path).join(first, Photo.id == first.c.photo_id)).all())
    for listing in listings:
        listing.thumb = thumbs.get(listing.id)


def _facet_labels(results: Results) -> dict[str, list[tuple[str, str, int]]]:
    from market.i18n import is_english

    english = is_english()
    out: dict[str, list[tuple[str, str, int]]] = {}
    counts = results.facets
    kinds = counts.get("kind", {})
    out["kind"] = [(k, k, n) for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))]
    provinces = counts.get("province", {})
    names = {}
    if provinces and english:
        names = dict(db.session.execute(
            select(Home.province_zh, Home.province_en).where(Home.province_zh.in_(list(provinces)))
            .distinct()).all())
    out["province"] = [(p, names.get(p, p), n)
                       for p, n in sorted(provinces.items(), key=lambda kv: (-kv[1], kv[0]))]
    homes = dict(sorted(counts.get("home", {}).items(), key=lambda kv: (-kv[1], kv[0]))[:30])
    labels = {}
    if homes:
        for home_id, zh, en in db.session.execute(
                select(Home.id, Home.name_zh, Home.name_en).where(Home.id.in_([int(h) for h in homes]))):
            labels[str(home_id)] = en if english and en else zh
    out["home"] = [(h, labels.get(h, h), n) for h, n in homes.items()]
    bands = counts.get("price_band", {})
    out["price_band"] = [(b, band_label(b), bands[b]) for b in PRICE_BANDS if bands.get(b)]
    assert set(out) == set(FACETS)
    return out


def band_label(key: str) -> str:
    from flask_babel import gettext as _

    low, high = PRICE_BANDS[key]
    if high is None:
        return _("¥%(low)s and up", low=low // 100)
    if low == 0:
        return _("under ¥%(high)s", high=high // 100)
    return _("¥%(low)s to ¥%(high)s", low=low // 100, high=high // 100)


def search(request: SearchRequest, now: datetime | None = None) -> SearchPage:
    now = now or clock.now()
    words = query_words(request.q)
    only_ids: set[int] | None = None
    if request.tour_date is not None:
        only_ids = _tour_ids_on(request.tour_date, now)
    if request.check_in is not None and request.check_out is not None:
        stays = _stay_ids_free(request.check_in, request.check_out)
        only_ids = stays if only_ids is None else only_ids | stays
    page = min(max(1, request.page), MAX_PAGE)
    query = Query(words=words, kind=request.kind, province=request.province,
                  home_id=request.home_id, price_band=request.price_band, only_ids=only_ids,
                  sort=request.sort, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    results = backend().search(query)
    pages = max(1, -(-results.total // PAGE_SIZE))
    if page > pages:  # past the end: show the last page instead
        page = pages
        query.offset = (page - 1) * PAGE_SIZE
        results = backend().search(query)
    listings = _load_visible(results.ids)
    return SearchPage(
        request=request, words=words, listings=listings, total=results.total, page=page,
        pages=pages, facets=_facet_labels(results),
        next_dates=next_available(db.session, listings, now), suggestion=results.suggestion,
        nearest_kinds=KINDS if results.total else nearest_kinds(words),
    )


def nearest_kinds(words: list[str]) -> tuple[str, ...]:
    """The kinds ordered by how many listings match any one of the words (a word naming a
    kind, such as 民宿 or "tour", matches all of that kind), most first; ties keep the usual
    order."""
    counts = backend().search(Query(words=words, any_word=True, limit=0)).facets["kind"]
    return tuple(sorted(KINDS, key=lambda kind: -counts.get(kind, 0)))


def _load_visible(ids: list[int]) -> list[Listing]:
    """The listings behind these ids, in this order, re-checked against the database."""
    if not ids:
        return []
    rows = db.session.scalars(
        select(Listing).join(Home, Home.id == Listing.home_id)
        .where(Listing.id.in_(ids), Listing.status == "published", Home.status == "active")
        .options(joinedload(Listing.home)))
    by_id = {x.id: x for x in rows}
    listings = [by_id[i] for i in ids if i in by_id]
    _attach_thumbnails(listings)
    return listings
