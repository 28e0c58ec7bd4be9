"""Reserving and releasing what is sold: seats, room-nights and stock.

Every reservation is ONE conditional statement whose WHERE clause is the availability check,
so two buyers can never both take the last seat, on SQLite (writers queue on BEGIN IMMEDIATE)
or PostgreSQL (the row lock makes the second UPDATE re-check the condition):

    UPDATE tour_sessions SET reserved = reserved + n WHERE id = ? AND capacity - reserved >= n
    UPDATE listings SET reserved = reserved + n WHERE id = ? AND stock - reserved >= n
    INSERT INTO room_nights … ON CONFLICT (room_id, night) DO NOTHING   (unique per night)

Nothing is ever read first and written after. None of these functions commits.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from market import clock
from market.booking import holds
from market.database import insert_on_conflict
from market.hooks import availability_changed
from models import Listing, RoomNight, TourSession, db

MAX_NIGHTS = 30
MAX_QUANTITY = 999
MAX_DAYS_AHEAD = 365  # how far ahead a stay can be booked
_INT = re.compile(r"^\s*\+?(\d+)\s*$")
CHECK_IN_TIME = time(14, 0)  # a stay begins on its check-in day at 14:00, local time
DEFAULT_CANCEL_HOURS = {"tour": 48, "homestay": 72}  # a listing's cancel_hours overrides


def cancel_hours(listing) -> int | None:
    """Hours before the start a paid tour or stay can still be cancelled (None for goods: until
    they are shipped)."""
    if listing.kind not in DEFAULT_CANCEL_HOURS:
        return None
    return listing.cancel_hours if listing.cancel_hours is not None else DEFAULT_CANCEL_HOURS[listing.kind]


class BookingError(ValueError):
    """Input the buyer must correct; str(error) is a translated message."""


class Unavailable(BookingError):
    """What the buyer picked is sold out, booked or no longer open."""


def parse_quantity(text, *, maximum: int = MAX_QUANTITY, what: str | None = None) -> int:
    """A whole number from 1 to `maximum`, or BookingError with a clear message."""
    match = _INT.match(str(text if text is not None else ""))
    if not match:
        raise BookingError(_("Please enter a whole number, such as 1 or 2."))
    digits = match.group(1).lstrip("0") or "0"
    # A number longer than the maximum is too big whatever it says: int() never parses it.
    value = int(digits) if len(digits) <= len(str(maximum)) else maximum + 1
    if value < 1:
        raise BookingError(_("Please choose at least 1."))
    if value > maximum:
        raise BookingError(_("Please choose at most %(num)d.", num=maximum))
    return value


def parse_date(text) -> date:
    try:
        return date.fromisoformat(str(text or "").strip())
    except ValueError:
        raise BookingError(_("Please enter a date like 2025-05-01.")) from None


def check_in_at(day: date) -> datetime:
    """The moment a stay that checks in on `day` begins."""
    return datetime.combine(day, CHECK_IN_TIME, tzinfo=clock.HOME_ZONE)


def nights_between(check_in: date, check_out: date) -> list[date]:
    return [check_in + timedelta(days=i) for i in range((check_out - check_in).days)]


def check_stay_dates(check_in: date, check_out: date, today: date) -> list[date]:
    if check_in < today:
        raise BookingError(_("The check-in date has passed. Please choose a later date."))
    last = today + timedelta(days=MAX_DAYS_AHEAD)
    if check_in > last:
        raise BookingError(_("Stays can be booked up to a year ahead. Please choose a check-in date "
                             "until %(day)s.", day=format_date(last, "long")))
    if check_out <= check_in:
        raise BookingError(_("Check-out must be after check-in."))
    nights = (check_out - check_in).days
    if nights > MAX_NIGHTS:
        raise BookingError(_("A stay can be at most %(num)d nights.", num=MAX_NIGHTS))
    return nights_between(check_in, check_out)


# ---- reading availability ------------------------------------------------------------------
# Read from the clock: seats, nights and units kept by unpaid holds that have ended are free
# (market/booking/holds.py), before the minute's job releases them in the tables.

def seats_left(tour_session: TourSession, now: datetime | None = None) -> int:
    kept = holds.ended_seats([tour_session.id], now).get(tour_session.id, 0)
    return max(0, tour_session.capacity - tour_session.reserved + kept)


def seats_left_of(sessions: list[TourSession], now: datetime | None = None) -> dict[int, int]:
    """{session id: seats left} for many sessions, in one query."""
    kept = holds.ended_seats([s.id for s in sessions], now)
    return {s.id: max(0, s.capacity - s.reserved + kept.get(s.id, 0)) for s in sessions}


def booked_nights(room_id: int, nights: list[date], now: datetime | None = None) -> list[date]:
    if not nights:
        return []
    return list(db.session.scalars(
        select(RoomNight.night).where(RoomNight.room_id == room_id, RoomNight.night.in_(nights),
                                      holds.night_taken(now))
        .order_by(RoomNight.night)
    ))


def units_left(listing: Listing, now: datetime | None = None) -> int | None:
    """None for made-to-order goods (no limit)."""
    if listing.made_to_order or listing.stock is None:
        return None
    kept = holds.ended_units([listing.id], now).get(listing.id, 0)
    return max(0, listing.stock - listing.reserved + kept)


# ---- reserving (conditional statements only) -----------------------------------------------
# Core statements on the tables (not the ORM bulk paths): leaner, and rowcount is exact.
_SESSIONS = TourSession.__table__.c
_LISTINGS = Listing.__table__.c


def _announce(listing_ids=(), room_ids=()) -> None:
    """Tell the domains above that what is left of these listings changed sides of zero
    (sold out, or open again): search re-sorts them by their next free date."""
    availability_changed.send(db.session, listing_ids=set(listing_ids), room_ids=set(room_ids))


def reserve_seats(session_id: int, seats: int, now: datetime) -> bool:
    """Take `seats` seats of a session that has not started; False when not enough are left."""
    taken = db.session.execute(
        update(TourSession.__table__)
        .where(_SESSIONS.id == session_id,
               _SESSIONS.capacity - _SESSIONS.reserved >= seats,
               _SESSIONS.starts_at > now)
        .values(reserved=_SESSIONS.reserved + seats)
        .returning(_SESSIONS.listing_id, _SESSIONS.capacity - _SESSIONS.reserved)
    ).first()
    if taken is not None and taken[1] == 0:
        _announce(listing_ids=[taken[0]])
    return taken is not None


def release_seats(session_id: int, seats: int) -> None:
    freed = db.session.execute(
        update(TourSession.__table__)
        .where(_SESSIONS.id == session_id, _SESSIONS.reserved >= seats)
        .values(reserved=_SESSIONS.reserved - seats)
        .returning(_SESSIONS.listing_id, _SESSIONS.capacity - _SESSIONS.reserved)
    ).first()
    if freed is not None and freed[1] == seats:
        _announce(listing_ids=[freed[0]])


_UNITS_LEFT = _LISTINGS.stock - _LISTINGS.reserved


def reserve_stock(listing_id: int, quantity: int) -> bool:
    """Hold `quantity` units; False when fewer are left. Made-to-order goods always succeed."""
    left = db.session.execute(
        update(Listing.__table__)
        .where(_LISTINGS.id == listing_id, _LISTINGS.stock.is_not(None),
               _LISTINGS.made_to_order.is_(False),
               _LISTINGS.stock - _LISTINGS.reserved >= quantity)
        .values(reserved=_LISTINGS.reserved + quantity, updated_at=_LISTINGS.updated_at)
        .returning(_UNITS_LEFT)
    ).scalar()
    if left == 0:
        _announce(listing_ids=[listing_id])
    return left is not None


def release_stock(listing_id: int, quantity: int) -> None:
    """Give back units an unpaid hold kept."""
    left = db.session.execute(
        update(Listing.__table__)
        .where(_LISTINGS.id == listing_id, _LISTINGS.reserved >= quantity)
        .values(reserved=_LISTINGS.reserved - quantity, updated_at=_LISTINGS.updated_at)
        .returning(_UNITS_LEFT)
    ).scalar()
    if left == quantity:
        _announce(listing_ids=[listing_id])


def consume_stock(listing_id: int, quantity: int) -> None:
    """On payment a hold becomes a sale: the units leave both `reserved` and `stock`."""
    db.session.execute(
        update(Listing.__table__)
        .where(_LISTINGS.id == listing_id, _LISTINGS.reserved >= quantity, _LISTINGS.stock >= quantity)
        .values(reserved=_LISTINGS.reserved - quantity, stock=_LISTINGS.stock - quantity,
                updated_at=_LISTINGS.updated_at)
    )


def restock(listing_id: int, quantity: int) -> None:
    """A paid, unshipped sale was cancelled: its units can be sold again."""
    left = db.session.execute(
        update(Listing.__table__)
        .where(_LISTINGS.id == listing_id, _LISTINGS.stock.is_not(None))
        .values(stock=_LISTINGS.stock + quantity, updated_at=_LISTINGS.updated_at)
        .returning(_UNITS_LEFT)
    ).scalar()
    if left == quantity:
        _announce(listing_ids=[listing_id])


def _insert_ignoring_conflicts(rows: list[dict]):
    # Core, not the ORM bulk path, so rowcount is exact
    return insert_on_conflict(RoomNight.__table__).values(rows).on_conflict_do_nothing(
        index_elements=["room_id", "night"])


def reserve_nights(room_id: int, nights: list[date], order_line_id: int) -> bool:
    """Insert one RoomNight per night; False when any night is taken (the caller rolls back)."""
    if not nights:
        return False
    rows = [{"room_id": room_id, "night": night, "order_line_id": order_line_id} for night in nights]
    # RETURNING lists exactly the rows inserted (conflicting nights are skipped), on both databases.
    inserted = db.session.execute(_insert_ignoring_conflicts(rows).returning(RoomNight.__table__.c.id))
    if len(inserted.all()) != len(nights):
        return False
    _announce(room_ids=[room_id])
    return True


def block_night(room_id: int, night: date, reason: str, by_id: int | None) -> bool:
    """Staff close a room for a night: a RoomNight without an order line, inserted like a
    booking's, so the unique (room, night) decides a race with a checkout. False when taken."""
    row = {"room_id": room_id, "night": night, "order_line_id": None, "blocked_reason": reason[:200],
           "blocked_by_id": by_id}
    inserted = db.session.execute(_insert_ignoring_conflicts([row]).returning(RoomNight.__table__.c.id))
    if not inserted.all():
        return False
    _announce(room_ids=[room_id])
    return True


def unblock_night(room_id: int, night: date) -> bool:
    """Open a blocked night again (a booked night is never touched here)."""
    freed = db.session.execute(delete(RoomNight).where(
        RoomNight.room_id == room_id, RoomNight.night == night, RoomNight.order_line_id.is_(None))
        .returning(RoomNight.id)).all()
    if freed:
        _announce(room_ids=[room_id])
    return bool(freed)


def release_nights(order_line_id: int) -> None:
    freed = db.session.execute(
        delete(RoomNight).where(RoomNight.order_line_id == order_line_id).returning(RoomNight.room_id))
    _announce(room_ids=set(freed.scalars()))


def taken_nights(room_ids, first: date, last: date) -> dict[int, set[date]]:
    """Per room, the nights from `first` to `last` (inclusive) that are held or sold (a hold that
    has ended frees its nights now, before the minute's job releases them)."""
    taken: dict[int, set[date]] = {room_id: set() for room_id in room_ids}
    if not taken:
        return taken
    rows = db.session.execute(select(RoomNight.room_id, RoomNight.night).where(
        RoomNight.room_id.in_(list(taken)), RoomNight.night >= first, RoomNight.night <= last,
        holds.night_taken()))
    for room_id, night in rows:
        taken[room_id].add(night)
    return taken
