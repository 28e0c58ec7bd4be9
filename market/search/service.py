"""Answering the search page: the query, filters and facets asked of the backend, the listings
it finds read back from the database with their next available dates and thumbnails.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import joinedload

from market import clock
from market.booking import holds
from market.search.backend import FACETS, PRICE_BANDS, Query, Results
from market.search.documents import next_available
from market.search.indexing import backend
from market.search.understanding import highlight_words, understand
from models import Home, Listing, Photo, Room, RoomNight, TourSession, db
from models.catalog import KINDS

log = logging.getLogger(__name__)

PAGE_SIZE = 20
MAX_PAGE = 500
MAX_STAY_NIGHTS = 30


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
    partial: bool = False  # nothing matched every word: these listings match some of them
    nearest_kinds: tuple[str, ...] = KINDS  # nothing found: the kind pages, nearest first


def _tour_ids_on(day: date, now: datetime) -> set[int]:
    start = clock.start_of_day(day)
    end = start + timedelta(days=1)
    return set(db.session.scalars(
        select(TourSession.listing_id).where(
            TourSession.starts_at >= start, TourSession.starts_at < end, TourSession.starts_at > now,
            TourSession.reserved - holds.ended_seats_column(TourSession.id, now) < TourSession.capacity)
        .distinct()))


def _stay_ids_free(check_in: date, check_out: date) -> set[int]:
    booked = exists().where(and_(RoomNight.room_id == Room.id, RoomNight.night >= check_in,
                                 RoomNight.night < check_out, holds.night_taken()))
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
    concepts = understand(request.q)
    words = highlight_words(concepts)
    only_ids: set[int] | None = None
    if request.tour_date is not None:
        only_ids = _tour_ids_on(request.tour_date, now)
    if request.check_in is not None and request.check_out is not None:
        stays = _stay_ids_free(request.check_in, request.check_out)
        only_ids = stays if only_ids is None else only_ids | stays
    page = min(max(1, request.page), MAX_PAGE)
    query = Query(words=words, concepts=concepts, relax=True, kind=request.kind, province=request.province,
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
        partial=results.partial,
        nearest_kinds=KINDS if results.total else nearest_kinds(concepts),
    )


def nearest_kinds(concepts) -> tuple[str, ...]:
    """The kinds ordered by how many listings match any one of the words (a word naming a
    kind, such as 民宿 or "tour", matches all of that kind), most first; ties keep the usual
    order."""
    words = highlight_words(concepts)
    counts = backend().search(Query(words=words, concepts=concepts, any_word=True, limit=0)
                              ).facets["kind"]
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
