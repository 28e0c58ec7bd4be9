"""Reading homes and listings for the public pages. Lean queries: no N+1, keyset paging."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from models import Elder, Home, Listing, Room, TourSession, db, utcnow
from models.catalog import KINDS

PAGE_SIZE = 24


def effective_care_bps(listing: Listing) -> int:
    """The listing's own care share when set, else its home's."""
    if listing.care_share_bps is not None:
        return listing.care_share_bps
    return listing.home.care_share_bps


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
    kind: str | None = None
    province: str | None = None
    county: str | None = None
    home_slug: str | None = None

    def apply(self, query):
        if self.kind:
            query = query.where(Listing.kind == self.kind)
        if self.province:
            query = query.where(Home.province_zh == self.province)
        if self.county:
            query = query.where(Home.county_zh == self.county)
        if self.home_slug:
            query = query.where(Home.slug == self.home_slug)
        return query


def browse(filters: BrowseFilter, page: int = 1, per_page: int = PAGE_SIZE) -> BrowsePage:
    """One page of published listings, newest first.

    Deep pages find their first id by an index-only scan over ids, then read only the rows
    shown, so page 400 costs about what page 1 does.
    """
    page = max(1, page)
    ids_query = filters.apply(
        select(Listing.id)
        .join(Home, Home.id == Listing.home_id)
        .where(Listing.status == "published", Home.status == "active")
    ).order_by(Listing.id.desc())
    ids = list(db.session.scalars(ids_query.offset((page - 1) * per_page).limit(per_page + 1)))
    has_next = len(ids) > per_page
    ids = ids[:per_page]
    if not ids:
        return BrowsePage([], page, False)
    rows = db.session.scalars(
        select(Listing)
        .where(Listing.id.in_(ids))
        .options(joinedload(Listing.home))
        .order_by(Listing.id.desc())
    )
    listings = list(rows)
    _attach_thumbnails(listings)
    return BrowsePage(listings, page, has_next)


def _attach_thumbnails(listings: list[Listing]) -> None:
    """Set `listing.thumb` to its first photo's thumbnail path (or None) in one query."""
    from models import Photo

    if not listings:
        return
    ids = [listing.id for listing in listings]
    first = (
        select(Photo.listing_id, func.min(Photo.id).label("photo_id"))
        .where(Photo.listing_id.in_(ids))
        .group_by(Photo.listing_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Photo.listing_id, Photo.thumb_path).join(first, Photo.id == first.c.photo_id)
    )
    thumbs = dict(rows.all())
    for listing in listings:
        listing.thumb = thumbs.get(listing.id)


def regions() -> list[tuple[str, str, str, str]]:
    """Distinct (province_zh, province_en, county_zh, county_en) of active homes."""
    query = (
        select(Home.province_zh, Home.province_en, Home.county_zh, Home.county_en)
        .where(Home.status == "active")
        .distinct()
        .order_by(Home.province_zh, Home.county_zh)
    )
    return [tuple(row) for row in db.session.execute(query)]


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


def listing_by_slug(slug: str) -> Listing | None:
    return db.session.scalar(
        public_listings()
        .where(Listing.slug == slug)
        .options(
            joinedload(Listing.home),
            joinedload(Listing.elder),
            selectinload(Listing.photos),
        )
    )


def upcoming_sessions(listing: Listing, now: datetime | None = None, limit: int = 30):
    """Future sessions with their seats left."""
    now = now or utcnow()
    query = (
        select(TourSession)
        .where(TourSession.listing_id == listing.id, TourSession.starts_at > now)
        .options(joinedload(TourSession.elder))
        .order_by(TourSession.starts_at)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def active_rooms(listing: Listing) -> list[Room]:
    query = select(Room).where(Room.listing_id == listing.id, Room.active.is_(True))
    return list(db.session.scalars(query.order_by(Room.nightly_price_fen, Room.id)))


def stock_left(listing: Listing) -> int | None:
    """Units a buyer can still take, or None for made-to-order goods."""
    if listing.made_to_order or listing.stock is None:
        return None
    return max(0, listing.stock - listing.reserved)


def credited_elder(listing: Listing) -> Elder | None:
    """The listing's elder, only when that elder agreed to be shown."""
    elder = listing.elder
    return elder if elder is not None and elder.consent_public else None
