"""A home's listings and their photos: create, edit, publish, archive.

One commit per use case; rows are found only inside the staff member's home (service.py)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from market import clock
from market.booking.service import MAX_DAYS_AHEAD
from market.catalog.service import (
    credited_incentive_bps,
    platform_fee_bps,
)
from market.i18n import format_day
from market.ledger import audit
from market.ledger.allocation import rates_fit
from market.manage.service import ManageError, elder_in
from market.provinces import PROVINCE_NAMES
from market.uploads import StoredImage, remove_stored
from models import (
    Home,
    Listing,
    Photo,
    Room,
    db,
)
from models.catalog import GOODS, KINDS, LISTING_STATUSES

TITLE_MAX = 200
LEAD_DAYS_MAX = 365
CANCEL_HOURS_MAX = 24 * 30
HARVEST_DAYS_BACK = 365  # a harvest date tells buyers when the crop was or will be picked



FACTS_MAX = 1000
MAP_URL = re.compile(r"^https?://[^\s<>\"']+$")


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
    included_zh: str = ""
    included_en: str = ""
    directions_zh: str = ""
    directions_en: str = ""
    map_url: str = ""
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
    for name in ("included_zh", "included_en", "directions_zh", "directions_en"):
        if len((getattr(data, name) or "").strip()) > FACTS_MAX:
            raise ManageError(_("Please keep this under %(num)d characters.", num=FACTS_MAX), name)
    map_url = (data.map_url or "").strip()
    if map_url and (len(map_url) > 300 or not MAP_URL.match(map_url)):
        raise ManageError(_("Give a map link starting with https:// (at most 300 characters), or leave "
                            "it empty."), "map_url")
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
    if kind == "produce" and data.harvest_date is not None:
        today = clock.local_today(home=home)
        first, last = today - timedelta(days=HARVEST_DAYS_BACK), today + timedelta(days=MAX_DAYS_AHEAD)
        if not first <= data.harvest_date <= last:
            raise ManageError(_("Please choose a harvest date between %(first)s and %(last)s.",
                                first=format_day(first), last=format_day(last)), "harvest_date")
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
    listing.included_zh = (data.included_zh or "").strip()
    listing.included_en = (data.included_en or "").strip()
    listing.directions_zh = (data.directions_zh or "").strip()
    listing.directions_en = (data.directions_en or "").strip()
    listing.map_url = (data.map_url or "").strip()
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
    listing = apply_new_listing(home, kind, data)
    db.session.commit()
    return listing


def apply_new_listing(home: Home, kind: str, data: ListingInput) -> Listing:
    """A checked draft listing, flushed (it has an id) but not committed."""
    if kind not in KINDS:
        raise ManageError(_("Unknown kind of listing."))
    _check_listing(home, kind, data, None)
    listing = Listing(home_id=home.id, kind=kind, status="draft", slug=_slug_for(home, data, kind),
                      reserved=0, currency="CNY")
    _apply_listing(listing, kind, data)
    db.session.add(listing)
    db.session.flush()
    _log_care_share(listing, None)
    return listing


def _log_care_share(listing: Listing, before: int | None) -> None:
    """A listing's own care share (None: the home's) goes into the home's public audit log."""
    audit.record_change(home_id=listing.home_id, what="listing_care_share",
                        subject={"listing": listing.id, "title": listing.title_zh},
                        before=before, after=listing.care_share_bps)


def update_listing(home: Home, listing: Listing, data: ListingInput) -> Listing:
    if listing.home_id != home.id:
        raise ManageError(_("This listing belongs to another home."))
    _check_listing(home, listing.kind, data, listing)
    before = listing.care_share_bps
    _apply_listing(listing, listing.kind, data)
    _log_care_share(listing, before)
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



PHOTOS_AT_ONCE = 10


def _photo_clause(listing_id: int | None):
    return Photo.listing_id == listing_id if listing_id else Photo.listing_id.is_(None)


def add_photos(home: Home, stored: list[StoredImage], listing: Listing | None = None,
               alt_zh: str = "", alt_en: str = "") -> list[Photo]:
    """Record already stored pictures for the home, or for one of its listings, after the
    ones it has, in one commit."""
    photos = apply_photos(home, stored, listing, alt_zh, alt_en)
    db.session.commit()
    return photos


def apply_photos(home: Home, stored: list[StoredImage], listing: Listing | None = None,
                 alt_zh: str = "", alt_en: str = "") -> list[Photo]:
    """add_photos without the commit."""
    if listing is not None and listing.home_id != home.id:
        raise ManageError(_("This listing belongs to another home."))
    listing_id = listing.id if listing is not None else None
    last = db.session.scalar(select(func.max(Photo.position))
                             .where(Photo.home_id == home.id, _photo_clause(listing_id))) or 0
    photos = [
        Photo(home_id=home.id, listing_id=listing_id, path=image.path, thumb_path=image.thumb_path,
              width=image.width, height=image.height, alt_zh=(alt_zh or "").strip()[:200],
              alt_en=(alt_en or "").strip()[:200], position=last + number)
        for number, image in enumerate(stored, start=1)
    ]
    db.session.add_all(photos)
    return photos


def make_cover(home: Home, photo: Photo) -> None:
    """Put the photo before the others of its listing (or of the home)."""
    if photo.home_id != home.id:
        raise ManageError(_("This photo belongs to another home."))
    first = db.session.scalar(select(func.min(Photo.position))
                              .where(Photo.home_id == home.id, _photo_clause(photo.listing_id)))
    photo.position = (first or 0) - 1
    db.session.commit()


def remove_photo(home: Home, photo: Photo, root) -> None:
    """Delete the photo's row, then its files."""
    if photo.home_id != home.id:
        raise ManageError(_("This photo belongs to another home."))
    paths = (photo.path, photo.thumb_path)
    db.session.delete(photo)
    db.session.commit()
    remove_stored(root, *paths)


