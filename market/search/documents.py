"""Search documents built from committed rows: what the index holds of a listing, and the next
date it can be had (a tour's next session with free seats, a homestay's next free night, goods
in stock today or at harvest)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from market import clock
from market.booking import holds
from market.search.backend import Document
from models import Home, Listing, OrderLine, Room, RoomNight, TourSession
from models.catalog import GOODS

STAY_HORIZON_DAYS = 365  # how far ahead a homestay's next free night is looked for
KIND_WORDS = {
    "tour": "旅游 研学 体验 tour workshop experience",
    "homestay": "民宿 住宿 homestay stay lodging room",
    "produce": "农产品 土特产 produce food farm",
    "craft": "手工艺 手工 craft handicraft handmade",
}


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
                   TourSession.reserved - holds.ended_seats_column(TourSession.id, now)
                   < TourSession.capacity)
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
                    RoomNight.night >= today, RoomNight.night < horizon, holds.night_taken(now))
            ):
                booked.setdefault(room_id, set()).add(night)
        for room_id, listing_id in rooms:
            nights = booked.get(room_id, set())
            day = today
            while day in nights and day < horizon:
                day += timedelta(days=1)
            if day < horizon and (result[listing_id] is None or day < result[listing_id]):
                result[listing_id] = day
    goods = [x.id for x in listings if x.kind in GOODS and not x.made_to_order and x.stock is not None]
    kept = dict(session.execute(
        select(OrderLine.listing_id, func.sum(OrderLine.quantity))
        .where(holds.ended(now), OrderLine.kind.in_(GOODS), OrderLine.listing_id.in_(goods))
        .group_by(OrderLine.listing_id)).all()) if goods else {}
    for listing in listings:
        if listing.kind in ("produce", "craft"):
            if listing.made_to_order:
                result[listing.id] = today + timedelta(days=listing.lead_days or 0)
            elif listing.stock is not None and listing.stock - listing.reserved + kept.get(listing.id, 0) > 0:
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
        # populate_existing: in the listing's own transaction (the PostgreSQL backend) the
        # session may hold these rows as they were before a bulk UPDATE (stock held by a booking).
        listings = {x.id: x for x in session.scalars(
            select(Listing).where(Listing.id.in_(chunk)).options(joinedload(Listing.home))
            .execution_options(populate_existing=True))}
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


