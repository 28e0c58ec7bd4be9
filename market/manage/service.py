"""The home staff console: who may act for a home, and finding rows only inside that home.

Every function that takes an id also takes the home, and finds the row only inside that home,
so a staff member of one home can never reach another home's rows by guessing ids.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import (
    Elder,
    Home,
    Listing,
    Membership,
    Photo,
    Room,
    TourSession,
    db,
)
from models.catalog import LISTING_STATUSES


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
