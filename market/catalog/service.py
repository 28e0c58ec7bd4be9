"""Reading homes and listings for the public pages. Lean queries: no N+1, keyset paging."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from flask import current_app, has_app_context
from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session, joinedload, object_session, selectinload

from market import caching, clock
from market.booking import service as booking
from market.booking.service import cancel_hours, taken_nights
from market.i18n import localized
from models import Elder, Home, Listing, Room, TourSession, db
from models.catalog import KINDS

PAGE_SIZE = 24


def effective_care_bps(listing: Listing) -> int:
    """The listing's own care share when set, else its home's."""
    if listing.care_share_bps is not None:
        return listing.care_share_bps
    return listing.home.care_share_bps


def platform_fee_bps() -> int:
    """The platform's fee on each sale, in basis points (configured; checked at start-up)."""
    return int(current_app.config["PLATFORM_FEE_BPS"])


def credited_incentive_bps(elders, incentives: dict[int, int] | None = None) -> int:
    """The highest incentive among the elders a sale may credit (None entries are skipped).
    `incentives` overrides elders' stored rates (a change being checked)."""
    incentives = incentives or {}
    return max((incentives.get(elder.id, elder.incentive_bps) for elder in elders if elder is not None),
               default=0)


def credited_elders(listing: Listing) -> list:
    """Who a sale of the listing may credit: its elder, or a session's (which comes first)."""
    return [listing.elder, *(session.elder for session in listing.sessions)]


def listings_over_full_share(home: Home, *, home_care_bps: int | None = None,
                             incentives: dict[int, int] | None = None) -> list[Listing]:
    """The home's listings whose care share, credited elder's incentive and the platform fee
    would add up to more than 100% (10000 bps), with the home's care share and elders'
    incentives changed as given."""
    from market.ledger.allocation import rates_fit

    fee = platform_fee_bps()
    default_care = home.care_share_bps if home_care_bps is None else home_care_bps
    listings = db.session.scalars(
        select(Listing).where(Listing.home_id == home.id).order_by(Listing.id)
        .options(joinedload(Listing.elder), selectinload(Listing.sessions).joinedload(TourSession.elder))
    )
    return [listing for listing in listings
            if not rates_fit(default_care if listing.care_share_bps is None else listing.care_share_bps,
                             credited_incentive_bps(credited_elders(listing), incentives), fee)]


def public_listings():
    """Published listings of active homes: the only ones a visitor may see."""
    return (
        select(Listing)
        .join(Home, Home.id == Listing.home_id)
        .where(Listing.status == "published", Home.status == "active")
    )


def featured_homes(limit: int = 6) -> list[Home]:
    query = (
        select(Home)
        .where(Home.status == "active")
        .order_by(Home.featured.desc(), Home.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def featured_by_kind(per_kind: int = 4) -> dict[str, list[Listing]]:
    result = {}
    for kind in KINDS:
        query = (
            public_listings()
            .where(Listing.kind == kind)
            .options(joinedload(Listing.home))
            .order_by(Listing.featured.desc(), Listing.id.desc())
            .limit(per_kind)
        )
        result[kind] = list(db.session.scalars(query))
    _attach_thumbnails([item for items in result.values() for item in items])
    return result


@dataclass
class BrowsePage:
    listings: list[Listing]
    page: int
    has_next: bool
    total: int | None = None


@dataclass
class BrowseFilter:
    """What the browse page narrows to. A county is always read with its province (when
    given), so same-named counties of different provinces stay apart."""

    kind: str | None = None
    province: str | None = None
    county: str | None = None
    home_slug: str | None = None


def _home_scope(filters: BrowseFilter) -> tuple[str, list[int]]:
    """The browse page's home condition as a plain id list, so the paging query reads only
    the listings index: ("in", ids) when filtering by place or home, else
    ("not_in", inactive home ids), usually empty, so no condition at all."""
    if filters.province or filters.county or filters.home_slug:
        query = select(Home.id).where(Home.status == "active")
        if filters.province:
            query = query.where(Home.province_zh == filters.province)
        if filters.county:
            query = query.where(Home.county_zh == filters.county)
        if filters.home_slug:
            query = query.where(Home.slug == filters.home_slug)
        return "in", list(db.session.scalars(query))
    return "not_in", list(db.session.execute(_INACTIVE_HOMES).scalars())


_INACTIVE_HOMES = select(Home.id).where(Home.status != "active")
_ID_QUERIES: dict[tuple, object] = {}


def _ids_query(kind: bool, scope: str, keyset: bool):
    """The paging query, built once per shape (building a statement costs more than running it)."""
    shape = (kind, scope, keyset)
    if shape not in _ID_QUERIES:
        query = select(Listing.id).where(Listing.status == "published")
        if kind:
            query = query.where(Listing.kind == bindparam("kind"))
        if scope == "in":
            query = query.where(Listing.home_id.in_(bindparam("home_ids", expanding=True)))
        elif scope == "not_in":
            query = query.where(Listing.home_id.not_in(bindparam("home_ids", expanding=True)))
        if keyset:
            query = query.where(Listing.id < bindparam("after"))
        query = query.order_by(Listing.id.desc()).limit(bindparam("limit")).offset(bindparam("offset"))
        _ID_QUERIES[shape] = query
    return _ID_QUERIES[shape]


def browse(filters: BrowseFilter, page: int = 1, per_page: int = PAGE_SIZE,
           after: int | None = None) -> BrowsePage:
    """One page of published listings, newest first, as light `Card`s.

    `after` (the last id of the previous page, carried by the "next page" link) makes it a
    keyset page: an index seek, whatever the depth. A bare `page=N` finds its ids by an
    index-only scan over (status, [kind,] id) of the listings table alone (the home
    condition is resolved to ids first). Either way only the rows shown are read.
    """
    page = max(1, page)
    scope, home_ids = _home_scope(filters)
    if scope == "not_in" and not home_ids:
        scope = "all"
    params = {"limit": per_page + 1, "offset": 0 if after is not None else (page - 1) * per_page}
    if filters.kind:
        params["kind"] = filters.kind
    if scope != "all":
        params["home_ids"] = home_ids
    if after is not None:
        params["after"] = after
    query = _ids_query(bool(filters.kind), scope, after is not None)
    ids = list(db.session.execute(query, params).scalars())
    has_next = len(ids) > per_page
    return BrowsePage(cards(ids[:per_page]), page, has_next)


def _card_query():
    from models import Photo

    thumb = (
        select(Photo.thumb_path)
        .where(Photo.listing_id == Listing.id)
        .order_by(Photo.position, Photo.id)
        .limit(1)
        .correlate(Listing)
        .scalar_subquery()
    )
    return (
        select(*CARD_COLUMNS, *(column.label(f"home_{column.key}") for column in CARD_HOME_COLUMNS),
               thumb.label("thumb"))
        .join(Home, Home.id == Listing.home_id)
        .where(Listing.id.in_(bindparam("ids", expanding=True)))
        .order_by(Listing.id.desc())
    )


# What a listing card shows (templates/macros.html listing_card).
CARD_COLUMNS = (Listing.id, Listing.home_id, Listing.kind, Listing.slug, Listing.status,
                Listing.featured, Listing.title_zh, Listing.title_en, Listing.price_fen,
                Listing.currency, Listing.unit_zh, Listing.unit_en, Listing.care_share_bps,
                Listing.stock, Listing.reserved, Listing.made_to_order, Listing.lead_days)
CARD_HOME_COLUMNS = (Home.slug, Home.name_zh, Home.name_en, Home.county_zh, Home.county_en,
                     Home.province_zh, Home.province_en, Home.village_zh, Home.village_en,
                     Home.care_share_bps, Home.timezone)
_CARD_QUERY = _card_query()


def cards(ids: list[int]) -> list:
    """Light read-only cards for these listing ids (newest first): the card's listing fields,
    `.home` with the home's names, `.thumb` the first photo's thumbnail. One query, no ORM."""
    if not ids:
        return []
    result = []
    for row in db.session.execute(_CARD_QUERY, {"ids": ids}).mappings():
        fields = dict(row)
        home = SimpleNamespace(id=fields["home_id"], **{column.key: fields.pop(f"home_{column.key}")
                                             for column in CARD_HOME_COLUMNS})
        result.append(SimpleNamespace(home=home, **fields))
    return result


def _attach_thumbnails(listings: list[Listing]) -> None:
    """Set `listing.thumb` to its first photo's thumbnail path (or None) in one query."""
    from models import Photo

    if not listings:
        return
    ids = [listing.id for listing in listings]
    rows = db.session.execute(
        select(Photo.listing_id, Photo.thumb_path)
        .where(Photo.listing_id.in_(ids))
        .order_by(Photo.position.desc(), Photo.id.desc())
    )
    thumbs = dict(rows.all())  # the last one written per listing is its first photo
    for listing in listings:
        listing.thumb = thumbs.get(listing.id)


_REGIONS_QUERY = (
    select(Home.province_zh, Home.province_en, Home.county_zh, Home.county_en)
    .where(Home.status == "active")
    .distinct()
    .order_by(Home.province_zh, Home.county_zh)
)
REGIONS_TTL = 60  # seconds; a change to a home forgets them at once, on every server
REGIONS_KEY = "catalog:regions"


def regions() -> list[tuple[str, str, str, str]]:
    """Distinct (province_zh, province_en, county_zh, county_en) of active homes, kept a minute in
    the cache every server shares (market/caching.py); saving a Home forgets them at its flush and
    again after its commit (a server may have read the old rows in between)."""
    value = caching.get(REGIONS_KEY)
    if value is None:
        value = [tuple(row) for row in db.session.execute(_REGIONS_QUERY)]
        caching.set(REGIONS_KEY, value, timeout=REGIONS_TTL)
    return [tuple(row) for row in value]


@event.listens_for(Home, "after_insert")
@event.listens_for(Home, "after_update")
@event.listens_for(Home, "after_delete")
def _forget_regions(_mapper, _connection, home) -> None:
    if has_app_context():
        caching.forget(REGIONS_KEY)
        if (session := object_session(home)) is not None:
            session.info["forget_regions"] = True


@event.listens_for(Session, "after_commit")
def _forget_regions_after_commit(session) -> None:
    if session.info.pop("forget_regions", False) and has_app_context():
        caching.forget(REGIONS_KEY)


def home_by_slug(slug: str) -> Home | None:
    return db.session.scalar(
        select(Home)
        .where(Home.slug == slug, Home.status == "active")
        .options(selectinload(Home.photos), selectinload(Home.elders))
    )


def home_listings(home: Home) -> list[Listing]:
    listings = list(
        db.session.scalars(
            public_listings().where(Listing.home_id == home.id).order_by(Listing.kind, Listing.id)
        )
    )
    _attach_thumbnails(listings)
    return listings


def public_elders(home: Home) -> list[Elder]:
    return [elder for elder in home.elders if elder.consent_public]


# Built once: constructing a statement costs more than SQLite takes to run it.
_LISTING_BY_SLUG = (
    public_listings()
    .where(Listing.slug == bindparam("slug"))
    .options(joinedload(Listing.home), joinedload(Listing.elder), selectinload(Listing.photos))
)
_UPCOMING_SESSIONS = (
    select(TourSession)
    .where(TourSession.listing_id == bindparam("listing_id"), TourSession.starts_at > bindparam("now"))
    .order_by(TourSession.starts_at)
    .limit(bindparam("limit"))
)


def listing_by_slug(slug: str) -> Listing | None:
    return db.session.execute(_LISTING_BY_SLUG, {"slug": slug}).scalar()


def upcoming_sessions(listing: Listing, now: datetime | None = None, limit: int = 30):
    """Future sessions with their seats left (the session's elder loads only if asked for)."""
    params = {"listing_id": listing.id, "now": now or clock.now(), "limit": limit}
    return list(db.session.execute(_UPCOMING_SESSIONS, params).scalars())


def active_rooms(listing: Listing) -> list[Room]:
    query = select(Room).where(Room.listing_id == listing.id, Room.active.is_(True))
    return list(db.session.scalars(query.order_by(Room.nightly_price_fen, Room.id)))


def stock_left(listing: Listing, now: datetime | None = None) -> int | None:
    """Units a buyer can still take, or None for made-to-order goods (units kept by holds that
    have ended count as free: market/booking/holds.py)."""
    return booking.units_left(listing, now)


def seats_left(sessions: list[TourSession], now: datetime | None = None) -> dict[int, int]:
    """{session id: seats a buyer can still take} (seats of holds that have ended are free)."""
    return booking.seats_left_of(sessions, now)


def credited_elder(listing: Listing) -> Elder | None:
    """The listing's elder, only when that elder agreed to be shown."""
    elder = listing.elder
    return elder if elder is not None and elder.consent_public else None


@dataclass
class TravellerFacts:
    """What a traveller wants to know before booking a tour or a stay."""

    durations: list[int]  # minutes, the distinct lengths of the upcoming sessions
    meeting_points: list[str]
    directions: str
    map_url: str
    included: list[str]
    cancel_hours: int | None  # None: goods (cancel until shipped)


def traveller_facts(listing: Listing, sessions) -> TravellerFacts:
    return TravellerFacts(
        durations=sorted({s.duration_minutes for s in sessions if s.duration_minutes}),
        meeting_points=list(dict.fromkeys(p for p in (localized(s, "meeting_point") for s in sessions) if p)),
        directions=localized(listing, "directions"),
        map_url=listing.map_url if listing.map_url.startswith(("https://", "http://")) else "",
        included=[line.strip(" -·•") for line in localized(listing, "included").splitlines()
                  if line.strip(" -·•")],
        cancel_hours=cancel_hours(listing),
    )


@dataclass
class CalendarMonth:
    """One month of a room's nights: weeks of (day or None, state), state "past", "taken" or "free"."""

    first: date
    weeks: list[list[tuple[date | None, str]]]


def room_calendars(rooms, today: date, months: int = 2) -> dict[int, list[CalendarMonth]]:
    """Per room, this month and the next ones, each night marked past, taken (held or sold) or
    free, so the page can grey out what cannot be booked (nothing is reserved by looking)."""
    firsts = [date(today.year + (today.month - 1 + n) // 12, (today.month - 1 + n) % 12 + 1, 1)
              for n in range(months)]
    last_first = firsts[-1]
    last = date(last_first.year + last_first.month // 12, last_first.month % 12 + 1, 1) - timedelta(days=1)
    taken = taken_nights([room.id for room in rooms], today, last)
    weeks_of = calendar.Calendar(firstweekday=0)
    result = {}
    for room in rooms:
        result[room.id] = [CalendarMonth(first, [
            [(day, "past" if day < today else "taken" if day in taken[room.id] else "free")
             if day.month == first.month else (None, "") for day in week]
            for week in weeks_of.monthdatescalendar(first.year, first.month)]) for first in firsts]
    return result
