"""Publishing in one guided flow: a listing with its photos and, by kind, its weekly sessions,
its rooms or its stock, made as a draft in ONE commit (all or nothing), shown as buyers will
see it (the preview), then published with one tap.

The checks and the rows are those of the separate console pages (listings.py, inventory.py):
this module only strings them together without committing in between.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _

from market.database import use_case
from market.manage import inventory, listings
from market.manage.service import ManageError
from market.uploads import StoredImage
from models import Home, Listing, db

ROOMS_AT_ONCE = 3


@dataclass
class Draft:
    kind: str
    listing: listings.ListingInput
    session: inventory.SessionInput | None = None  # tours: the first session (None: add later)
    weeks: int | None = None
    rooms: list[inventory.RoomInput] = field(default_factory=list)  # homestays
    cover: int | None = None  # which photo (1 = the first chosen) is shown first
    alt_zh: str = ""
    alt_en: str = ""


def _room_error(number: int, error: ManageError) -> ManageError:
    return ManageError(_("Room %(num)d: %(problem)s", num=number, problem=str(error)),
                       f"rooms-{number - 1}-{error.field or 'name_zh'}")


def check_cover(cover: int | None, photos: int) -> int:
    """The 0-based index of the photo shown first (the first one when none is chosen)."""
    if cover is None:
        return 0
    if photos == 0 or not 1 <= cover <= photos:
        raise ManageError(_("Choose the photo shown first as a number from 1 to the number of photos "
                            "chosen (%(num)d).", num=photos), "cover")
    return cover - 1


@use_case
def create_draft(home: Home, draft: Draft, photos: list[StoredImage],
                 now: datetime | None = None) -> Listing:
    """The listing as a draft, with its photos (the cover first), sessions or rooms: every part
    is checked by the same rules as on its own page, and all are saved in one commit or none
    (ManageError names the field). The caller removes the stored photo files when refused."""
    first = check_cover(draft.cover, len(photos))
    if len(photos) > listings.PHOTOS_AT_ONCE:
        raise ManageError(_("Please choose at most %(num)d photos at a time.", num=listings.PHOTOS_AT_ONCE),
                          "photo")
    data = draft.listing
    if draft.kind == "homestay":
        if not draft.rooms:
            raise ManageError(_("Add at least one room: its name, price per night and most guests."),
                              "rooms-0-name_zh")
        if len(draft.rooms) > ROOMS_AT_ONCE:
            raise ManageError(_("Add at most %(num)d rooms here; more on the listing's page.",
                                num=ROOMS_AT_ONCE), "rooms-0-name_zh")
        if data.price_fen is None:  # its price is its rooms' lowest: filled in below
            prices = [room.nightly_price_fen for room in draft.rooms if room.nightly_price_fen]
            data.price_fen = min(prices) if prices else None
    listing = listings.apply_new_listing(home, draft.kind, data)
    if draft.kind == "tour" and draft.session is not None:
        inventory.apply_weekly_sessions(home, listing, draft.session, draft.weeks, now)
    for number, room in enumerate(draft.rooms if draft.kind == "homestay" else [], start=1):
        try:
            inventory.apply_new_room(home, listing, room)
        except ManageError as error:
            raise _room_error(number, error) from None
    ordered = [photos[first], *photos[:first], *photos[first + 1:]] if photos else []
    listings.apply_photos(home, ordered, listing, draft.alt_zh, draft.alt_en)
    db.session.commit()
    return listing
