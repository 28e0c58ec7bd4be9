"""The home staff console's use cases. Plain functions: explicit arguments, one commit each.

Every function that takes an id also takes the home, and finds the row only inside that home,
so a staff member of one home can never reach another home's rows by guessing ids.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from market import clock
from market.booking.service import MAX_DAYS_AHEAD
from market.catalog.service import (
    credited_incentive_bps,
    effective_care_bps,
    listings_over_full_share,
    platform_fee_bps,
)
from market.ledger.allocation import rates_fit
from market.provinces import PROVINCE_NAMES
from market.uploads import StoredImage, remove_stored
from models import (
    Elder,
    Home,
    Listing,
    Membership,
    OrderLine,
    Photo,
    Room,
    RoomNight,
    TourSession,
    db,
)
from models.catalog import ELDER_ROLES, KINDS, LISTING_STATUSES

TITLE_MAX = 200
CAPACITY_MAX = 500
DURATION_MAX = 24 * 60
LEAD_DAYS_MAX = 365
CANCEL_HOURS_MAX = 24 * 30
MAX_GUESTS_MAX = 20
GOODS = ("produce", "craft")


class ManageError(ValueError):
    """A change the console refuses; str(error) is a translated message. Nothing was saved."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# ---- who may do what ---------------------------------------------------------------------

def memberships_of(user) -> list[Membership]:
    """The homes this user belongs to (any role), by home name."""
    if user is None or not user.is_authenticated:
        return []
    query = (
        select(Membership)
        .join(Home, Home.id == Membership.home_id)
        .where(Membership.user_id == user.id)
        .options(selectinload(Membership.home))
        .order_by(Home.name_zh)
    )
    return list(db.session.scalars(query))


# ---- finding rows, always inside one home ------------------------------------------------

def listing_in(home: Home, listing_id: int) -> Listing | None:
    return db.session.scalar(
        select(Listing).where(Listing.id == listing_id, Listing.home_id == home.id)
    )


def session_in(home: Home, listing: Listing, session_id: int) -> TourSession | None:
    if listing.home_id != home.id:
        return None
    return db.session.scalar(
        select(TourSession).where(TourSession.id == session_id, TourSession.listing_id == listing.id)
    )


def room_in(home: Home, listing: Listing, room_id: int) -> Room | None:
    if listing.home_id != home.id:
        return None
    return db.session.scalar(select(Room).where(Room.id == room_id, Room.listing_id == listing.id))


def photo_in(home: Home, photo_id: int) -> Photo | None:
    return db.session.scalar(select(Photo).where(Photo.id == photo_id, Photo.home_id == home.id))


def elder_in(home: Home, elder_id: int) -> Elder | None:
    return db.session.scalar(select(Elder).where(Elder.id == elder_id, Elder.home_id == home.id))


def home_listings(home: Home) -> list[Listing]:
    """Every listing of the home, whatever its status: drafts first, then published, archived."""
    order = {status: n for n, status in enumerate(LISTING_STATUSES)}
    listings = list(
        db.session.scalars(select(Listing).where(Listing.home_id == home.id).order_by(Listing.id.desc()))
    )
    return sorted(listings, key=lambda item: order.get(item.status, 9))


def home_elders(home: Home) -> list[Elder]:
    return list(db.session.scalars(select(Elder).where(Elder.home_id == home.id).order_by(Elder.id)))


def home_photos(home: Home) -> list[Photo]:
    return list(
        db.session.scalars(
            select(Photo)
            .where(Photo.home_id == home.id, Photo.listing_id.is_(None))
            .order_by(Photo.position, Photo.id)
        )
    )


# ---- listings ----------------------------------------------------------------------------

@dataclass
class ListingInput:
    title_zh: str
    title_en: str = ""
    description_zh: str = ""
    description_en: str = ""
    tags: str = ""
    price_fen: int | None = None
    unit_zh: str = ""
    unit_en: str = ""
    elder_id: int | None = None
    care_share_bps: int | None = None
    cancel_hours: int | None = None
    # goods only
    stock: int | None = None
    made_to_order: bool = False
    lead_days: int | None = None
    harvest_date: date | None = None
    ships_to: list[str] = field(default_factory=list)


def normalize_tags(text: str) -> str:
    """'茶, 绿茶，tea、tea' -> '茶,绿茶,tea' (comma separated, no repeats)."""
    seen: list[str] = []
    for part in re.split(r"[,，、;；\n]+", text or ""):
        tag = part.strip()
        if tag and tag.lower() not in (item.lower() for item in seen):
            seen.append(tag[:40])
    return ",".join(seen)


def _slug_for(home: Home, data: ListingInput, kind: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", (data.title_en or "").lower()).strip("-")[:60].strip("-")
    base = f"{home.slug}-{words or kind}"[:100]
    return f"{base}-{secrets.token_hex(3)}"


def _check_listing(home: Home, kind: str, data: ListingInput, listing: Listing | None) -> None:
    title = (data.title_zh or "").strip()
    if not title:
        raise ManageError(_("Please give the listing a Chinese title."), "title_zh")
    if len(title) > TITLE_MAX:
        raise ManageError(_("The title is too long: at most %(num)d characters.", num=TITLE_MAX), "title_zh")
    if len((data.title_en or "").strip()) > TITLE_MAX:
        raise ManageError(_("The title is too long: at most %(num)d characters.", num=TITLE_MAX), "title_en")
    if len(normalize_tags(data.tags)) > 300:
        raise ManageError(_("Too many tags."), "tags")
    needs_price = not (kind == "homestay" and listing is not None)
    if needs_price and (data.price_fen is None or data.price_fen <= 0):
        raise ManageError(_("Enter a price above zero, in yuan, e.g. 68 or 68.50."), "price")
    if data.price_fen is not None and data.price_fen > 100_000_000:
        raise ManageError(_("This price is too high."), "price")
    if data.care_share_bps is not None and not 0 <= data.care_share_bps <= 10000:
        raise ManageError(_("The care share must be between 0 and 100 percent."), "care_share")
    if data.cancel_hours is not None and not 0 <= data.cancel_hours <= CANCEL_HOURS_MAX:
        raise ManageError(
            _("Cancellation hours must be between 0 and %(num)d.", num=CANCEL_HOURS_MAX), "cancel_hours"
        )
    elder = None
    if data.elder_id is not None:
        elder = elder_in(home, data.elder_id)
        if elder is None:
            raise ManageError(_("Choose one of this home's elders."), "elder_id")
    care = data.care_share_bps if data.care_share_bps is not None else home.care_share_bps
    # Its sessions may credit other elders than the listing's own.
    elders = [elder, *(session.elder for session in listing.sessions)] if listing is not None else [elder]
    if not rates_fit(care, credited_incentive_bps(elders), platform_fee_bps()):
        raise ManageError(
            _("The care share, the elder's incentive and the platform fee add up to more than the price."),
            "care_share",
        )
    if kind in GOODS:
        if data.made_to_order:
            if data.lead_days is None or not 1 <= data.lead_days <= LEAD_DAYS_MAX:
                raise ManageError(
                    _("Made-to-order goods need a lead time of 1 to %(num)d days.", num=LEAD_DAYS_MAX),
                    "lead_days",
                )
        else:
            if data.stock is None:
                raise ManageError(_("Enter how many are in stock, or choose made to order."), "stock")
            if data.stock < 0:
                raise ManageError(_("Stock cannot be negative."), "stock")
            reserved = listing.reserved if listing is not None else 0
            if data.stock < reserved:
                raise ManageError(
                    _("Stock cannot be lower than the %(num)d units held by open orders.", num=reserved),
                    "stock",
                )
        unknown = [name for name in data.ships_to if name not in PROVINCE_NAMES]
        if unknown:
            raise ManageError(_("Choose provinces from the list."), "ships_to")


def _apply_listing(listing: Listing, kind: str, data: ListingInput) -> None:
    listing.title_zh = data.title_zh.strip()
    listing.title_en = (data.title_en or "").strip()
    listing.description_zh = (data.description_zh or "").strip()
    listing.description_en = (data.description_en or "").strip()
    listing.tags = normalize_tags(data.tags)
    if data.price_fen is not None and not (kind == "homestay" and _active_room_prices(listing)):
        listing.price_fen = data.price_fen
    listing.unit_zh = (data.unit_zh or "").strip()[:20]
    listing.unit_en = (data.unit_en or "").strip()[:20]
    listing.elder_id = data.elder_id
    listing.care_share_bps = data.care_share_bps
    listing.cancel_hours = data.cancel_hours
    if kind in GOODS:
        listing.made_to_order = bool(data.made_to_order)
        if data.made_to_order:
            listing.lead_days = data.lead_days
            listing.stock = None if listing.reserved == 0 else listing.stock
        else:
            listing.stock = data.stock
            listing.lead_days = None
        listing.harvest_date = data.harvest_date if kind == "produce" else None
        listing.ships_to = ",".join(name for name in PROVINCE_NAMES if name in data.ships_to)


def _active_room_prices(listing: Listing) -> list[int]:
    if listing.id is None:
        return []
    return list(
        db.session.scalars(
            select(Room.nightly_price_fen).where(Room.listing_id == listing.id, Room.active.is_(True))
        )
    )


def sync_homestay_price(listing: Listing) -> None:
    """A homestay's price is its lowest active room's nightly price (unchanged without rooms)."""
    db.session.flush()
    prices = _active_room_prices(listing)
    if prices:
        listing.price_fen = min(prices)


def create_listing(home: Home, kind: str, data: ListingInput) -> Listing:
    if kind not in KINDS:
        raise ManageError(_("Unknown kind of listing."))
    _check_listing(home, kind, data, None)
    listing = Listing(home_id=home.id, kind=kind, status="draft", slug=_slug_for(home, data, kind),
                      reserved=0, currency="CNY")
    _apply_listing(listing, kind, data)
    db.session.add(listing)
    db.session.commit()
    return listing


def update_listing(home: Home, listing: Listing, data: ListingInput) -> Listing:
    if listing.home_id != home.id:
        raise ManageError(_("This listing belongs to another home."))
    _check_listing(home, listing.kind, data, listing)
    _apply_listing(listing, listing.kind, data)
    if listing.kind == "homestay":
        sync_homestay_price(listing)
    if listing.kind in GOODS and listing.stock is not None:
        # Checkouts may have reserved units since we looked: check again under the row lock
        # our UPDATE now holds, against the latest committed count.
        db.session.flush()
        reserved = db.session.scalar(select(Listing.reserved).where(Listing.id == listing.id))
        if listing.stock < reserved:
            db.session.rollback()
            raise ManageError(
                _("Stock cannot be lower than the %(num)d units held by open orders.", num=reserved), "stock"
            )
    db.session.commit()
    return listing


def set_status(home: Home, listing: Listing, status: str) -> Listing:
    """Publish, archive, or take back to draft."""
    if listing.home_id != home.id:
        raise ManageError(_("This listing belongs to another home."))
    if status not in LISTING_STATUSES:
        raise ManageError(_("Unknown status."))
    if status == "published" and listing.kind == "homestay" and not _active_room_prices(listing):
        raise ManageError(_("Add at least one room before publishing a homestay."))
    listing.status = status
    db.session.commit()
    return listing


# ---- tour sessions -----------------------------------------------------------------------

@dataclass
class SessionInput:
    day: date | None
    start: time | None
    duration_minutes: int | None
    capacity: int | None
    meeting_point_zh: str = ""
    meeting_point_en: str = ""
    elder_id: int | None = None


def _check_session(home: Home, listing: Listing, data: SessionInput, session: TourSession | None,
                   now: datetime) -> datetime:
    if listing.kind != "tour":
        raise ManageError(_("Only tours and workshops have sessions."))
    if data.day is None or data.start is None:
        raise ManageError(_("Enter the date and the starting time."), "day")
    if data.duration_minutes is None or data.duration_minutes <= 0:
        raise ManageError(_("The session must end after it starts: give a duration above zero."),
                          "duration_minutes")
    if data.duration_minutes > DURATION_MAX:
        raise ManageError(_("A session lasts at most 24 hours."), "duration_minutes")
    if data.capacity is None or not 1 <= data.capacity <= CAPACITY_MAX:
        raise ManageError(_("Capacity must be between 1 and %(num)d people.", num=CAPACITY_MAX), "capacity")
    reserved = session.reserved if session is not None else 0
    if data.capacity < reserved:
        raise ManageError(
            _("Capacity cannot be lower than the %(num)d seats already booked.", num=reserved), "capacity"
        )
    starts_at = clock.at_local(data.day, data.start, home)
    if starts_at <= now:
        raise ManageError(_("The session must start in the future."), "day")
    home_today = clock.local_today(now, home)
    last_day = home_today + timedelta(days=MAX_DAYS_AHEAD)
    if data.day > last_day:
        raise ManageError(_("Sessions can be planned up to a year ahead. Please choose a date until "
                            "%(day)s.", day=last_day.isoformat()), "day")
    if data.elder_id is not None:
        elder = elder_in(home, data.elder_id)
        if elder is None:
            raise ManageError(_("Choose one of this home's elders."), "elder_id")
        if not rates_fit(effective_care_bps(listing), elder.incentive_bps, platform_fee_bps()):
            raise ManageError(_("The care share, the elder's incentive and the platform fee add up to more "
                                "than the price."), "elder_id")
    for text in (data.meeting_point_zh, data.meeting_point_en):
        if len((text or "").strip()) > 200:
            raise ManageError(_("The meeting point is too long: at most 200 characters."), "meeting_point_zh")
    return starts_at


def _apply_session(session: TourSession, data: SessionInput, starts_at: datetime) -> None:
    session.starts_at = starts_at
    session.duration_minutes = data.duration_minutes
    session.capacity = data.capacity
    session.meeting_point_zh = (data.meeting_point_zh or "").strip()
    session.meeting_point_en = (data.meeting_point_en or "").strip()
    session.elder_id = data.elder_id


def add_session(home: Home, listing: Listing, data: SessionInput, now: datetime | None = None) -> TourSession:
    if listing.home_id != home.id:
        raise ManageError(_("This listing belongs to another home."))
    starts_at = _check_session(home, listing, data, None, now or clock.now())
    session = TourSession(listing_id=listing.id, reserved=0)
    _apply_session(session, data, starts_at)
    db.session.add(session)
    db.session.commit()
    return session


def update_session(home: Home, session: TourSession, data: SessionInput,
                   now: datetime | None = None) -> TourSession:
    listing = session.listing
    if listing.home_id != home.id:
        raise ManageError(_("This listing belongs to another home."))
    starts_at = _check_session(home, listing, data, session, now or clock.now())
    _apply_session(session, data, starts_at)
    try:
        db.session.flush()  # the database refuses capacity below seats booked meanwhile
    except IntegrityError:
        db.session.rollback()
        raise ManageError(_("Capacity cannot be lower than the seats already booked."), "capacity") from None
    db.session.commit()
    return session


def session_has_bookings(session: TourSession) -> bool:
    if session.reserved:
        return True
    return bool(db.session.scalar(select(exists().where(OrderLine.session_id == session.id))))


def delete_session(home: Home, session: TourSession) -> None:
    if session.listing.home_id != home.id:
        raise ManageError(_("This listing belongs to another home."))
    if session_has_bookings(session):
        raise ManageError(_("This session has bookings, so it cannot be deleted."))
    db.session.delete(session)
    db.session.commit()


def session_end(session: TourSession) -> datetime:
    return session.starts_at + timedelta(minutes=session.duration_minutes)


# ---- homestay rooms ----------------------------------------------------------------------

@dataclass
class RoomInput:
    name_zh: str
    name_en: str = ""
    nightly_price_fen: int | None = None
    max_guests: int | None = None
    amenities_zh: str = ""
    amenities_en: str = ""
    active: bool = True


def _check_room(listing: Listing, data: RoomInput) -> None:
    if listing.kind != "homestay":
        raise ManageError(_("Only homestays have rooms."))
    name = (data.name_zh or "").strip()
    if not name:
        raise ManageError(_("Please give the room a Chinese name."), "name_zh")
    if len(name) > 80 or len((data.name_en or "").strip()) > 80:
        raise ManageError(_("The room name is too long: at most 80 characters."), "name_zh")
    if data.nightly_price_fen is None or data.nightly_price_fen <= 0:
        raise ManageError(_("Enter a price above zero, in yuan, e.g. 68 or 68.50."), "price")
    if data.nightly_price_fen > 100_000_000:
        raise ManageError(_("This price is too high."), "price")
    if data.max_guests is None or not 1 <= data.max_guests <= MAX_GUESTS_MAX:
        raise ManageError(_("A room takes 1 to %(num)d guests.", num=MAX_GUESTS_MAX), "max_guests")
    for text in (data.amenities_zh, data.amenities_en):
        if len((text or "").strip()) > 300:
            raise ManageError(_("The amenities are too long: at most 300 characters."), "amenities_zh")


def _apply_room(room: Room, data: RoomInput) -> None:
    room.name_zh = data.name_zh.strip()
    room.name_en = (data.name_en or "").strip()
    room.nightly_price_fen = data.nightly_price_fen
    room.max_guests = data.max_guests
    room.amenities_zh = (data.amenities_zh or "").strip()
    room.amenities_en = (data.amenities_en or "").strip()
    room.active = bool(data.active)


def add_room(home: Home, listing: Listing, data: RoomInput) -> Room:
    if listing.home_id != home.id:
        raise ManageError(_("This listing belongs to another home."))
    _check_room(listing, data)
    room = Room(listing_id=listing.id)
    _apply_room(room, data)
    db.session.add(room)
    sync_homestay_price(listing)
    db.session.commit()
    return room


def update_room(home: Home, room: Room, data: RoomInput) -> Room:
    listing = room.listing
    if listing.home_id != home.id:
        raise ManageError(_("This listing belongs to another home."))
    _check_room(listing, data)
    if not data.active and listing.status == "published":
        others = db.session.scalar(
            select(func.count(Room.id)).where(
                Room.listing_id == listing.id, Room.active.is_(True), Room.id != room.id
            )
        )
        if not others:
            raise ManageError(_("A published homestay needs at least one open room. Archive it first."),
                              "active")
    _apply_room(room, data)
    sync_homestay_price(listing)
    db.session.commit()
    return room


def room_has_bookings(room: Room) -> bool:
    return bool(db.session.scalar(select(exists().where(RoomNight.room_id == room.id))))


# ---- photos ------------------------------------------------------------------------------

def add_photo(home: Home, stored: StoredImage, listing: Listing | None = None,
              alt_zh: str = "", alt_en: str = "") -> Photo:
    """Record an already stored picture for the home, or for one of its listings."""
    if listing is not None and listing.home_id != home.id:
        raise ManageError(_("This listing belongs to another home."))
    listing_id = listing.id if listing is not None else None
    clause = Photo.listing_id == listing_id if listing_id else Photo.listing_id.is_(None)
    last = db.session.scalar(select(func.max(Photo.position)).where(Photo.home_id == home.id, clause))
    photo = Photo(
        home_id=home.id, listing_id=listing_id, path=stored.path, thumb_path=stored.thumb_path,
        width=stored.width, height=stored.height, alt_zh=(alt_zh or "").strip()[:200],
        alt_en=(alt_en or "").strip()[:200], position=(last or 0) + 1,
    )
    db.session.add(photo)
    db.session.commit()
    return photo


def remove_photo(home: Home, photo: Photo, root: Path) -> None:
    """Delete the photo's row, then its files."""
    if photo.home_id != home.id:
        raise ManageError(_("This photo belongs to another home."))
    paths = (photo.path, photo.thumb_path)
    db.session.delete(photo)
    db.session.commit()
    remove_stored(root, *paths)


# ---- elders ------------------------------------------------------------------------------

@dataclass
class ElderInput:
    display_name_zh: str
    display_name_en: str = ""
    role: str = "storyteller"
    bio_zh: str = ""
    bio_en: str = ""
    consent_public: bool = False
    incentive_bps: int = 0


def _check_elder(data: ElderInput) -> None:
    name = (data.display_name_zh or "").strip()
    if not name:
        raise ManageError(_("Please give the name the home uses for this elder."), "display_name_zh")
    if len(name) > 60 or len((data.display_name_en or "").strip()) > 80:
        raise ManageError(_("The name is too long."), "display_name_zh")
    if data.role not in ELDER_ROLES:
        raise ManageError(_("Choose a role from the list."), "role")
    if data.incentive_bps is None or not 0 <= data.incentive_bps <= 5000:
        raise ManageError(_("The elder's incentive must be between 0 and 50 percent."), "incentive")


def _apply_elder(elder: Elder, data: ElderInput) -> None:
    elder.display_name_zh = data.display_name_zh.strip()
    elder.display_name_en = (data.display_name_en or "").strip()
    elder.role = data.role
    elder.bio_zh = (data.bio_zh or "").strip()
    elder.bio_en = (data.bio_en or "").strip()
    elder.consent_public = bool(data.consent_public)
    elder.incentive_bps = data.incentive_bps


def create_elder(home: Home, data: ElderInput) -> Elder:
    _check_elder(data)
    elder = Elder(home_id=home.id)
    _apply_elder(elder, data)
    db.session.add(elder)
    db.session.commit()
    return elder


def update_elder(home: Home, elder: Elder, data: ElderInput) -> Elder:
    if elder.home_id != home.id:
        raise ManageError(_("This elder belongs to another home."))
    _check_elder(data)
    over = listings_over_full_share(home, incentives={elder.id: data.incentive_bps})
    if over:
        raise ManageError(_("With this incentive, the care share and the platform fee would add up to more "
                            "than the price of “%(title)s”.", title=over[0].title_zh), "incentive")
    _apply_elder(elder, data)
    db.session.commit()
    return elder
