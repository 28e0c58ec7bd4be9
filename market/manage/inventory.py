"""What a listing sells by the date: a tour's sessions and a homestay's rooms.

One commit per use case; rows are found only inside the staff member's home (service.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from market import clock
from market.booking.service import MAX_DAYS_AHEAD
from market.catalog.service import (
    effective_care_bps,
    platform_fee_bps,
)
from market.i18n import format_day
from market.ledger.allocation import rates_fit
from market.manage.listings import sync_homestay_price
from market.manage.service import ManageError, elder_in
from models import (
    Home,
    Listing,
    Order,
    OrderEvent,
    OrderLine,
    Room,
    TourSession,
    db,
)
from models.orders import LIVE_STATUSES

CAPACITY_MAX = 500
DURATION_MAX = 24 * 60
MAX_GUESTS_MAX = 20
MAX_WEEKS = 52  # a weekly session repeated for up to a year



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
                            "%(day)s.", day=format_date(last_day, "long")), "day")
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
    return add_weekly_sessions(home, listing, data, 1, now)[0]


def add_weekly_sessions(home: Home, listing: Listing, data: SessionInput, weeks: int | None,
                        now: datetime | None = None) -> list[TourSession]:
    """The session and its repeats on the same weekday and time for `weeks` weeks in all (e.g.
    every Saturday at 9:00 for 8 weeks): every one is checked first, then all are added or none."""
    sessions = apply_weekly_sessions(home, listing, data, weeks, now)
    db.session.commit()
    return sessions


def apply_weekly_sessions(home: Home, listing: Listing, data: SessionInput, weeks: int | None,
                          now: datetime | None = None) -> list[TourSession]:
    """add_weekly_sessions without the commit."""
    if listing.home_id != home.id:
        raise ManageError(_("This listing belongs to another home."))
    weeks = 1 if weeks is None else weeks
    if not 1 <= weeks <= MAX_WEEKS:
        raise ManageError(_("Repeat for 1 to %(num)d weeks.", num=MAX_WEEKS), "weeks")
    now = now or clock.now()
    sessions = []
    for week in range(weeks):
        weekly = replace(data, day=data.day + timedelta(weeks=week)) if data.day else data
        try:
            starts_at = _check_session(home, listing, weekly, None, now)
        except ManageError as error:
            if week == 0:
                raise
            raise ManageError(_("The repeat in week %(week)d (%(day)s): %(problem)s", week=week + 1,
                                day=format_day(weekly.day), problem=str(error)), error.field) from None
        session = TourSession(listing_id=listing.id, reserved=0)
        _apply_session(session, weekly, starts_at)
        sessions.append(session)
    db.session.add_all(sessions)
    return sessions


def update_session(home: Home, session: TourSession, data: SessionInput, now: datetime | None = None,
                   *, actor=None, buyers_told: bool = False) -> TourSession:
    """Change a session. Moving a booked one (its time or meeting point) needs `buyers_told`: each
    order holding seats gets a line on its timeline and its buyer an email, in the same commit."""
    listing = session.listing
    if listing.home_id != home.id:
        raise ManageError(_("This listing belongs to another home."))
    starts_at = _check_session(home, listing, data, session, now or clock.now())
    before = (session.starts_at, session.meeting_point_zh, session.meeting_point_en)
    booked = session_orders(session)
    _apply_session(session, data, starts_at)
    moved = before != (session.starts_at, session.meeting_point_zh, session.meeting_point_en)
    if moved and booked:
        if not buyers_told:
            db.session.rollback()
            raise ManageError(ngettext(
                "%(num)d order has seats in this session. Tick the box to move it: the buyer is told.",
                "%(num)d orders have seats in this session. Tick the box to move it: each buyer is told.",
                len(booked)), "buyers_told")
        tell_buyers_of_move(booked, session, before[0], actor)
    try:
        db.session.flush()  # the database refuses capacity below seats booked meanwhile
    except IntegrityError:
        db.session.rollback()
        raise ManageError(_("Capacity cannot be lower than the seats already booked."), "capacity") from None
    db.session.commit()
    return session


def session_orders(session: TourSession) -> list[Order]:
    """Orders that hold (or held and bought) seats in the session."""
    holds_seats = exists().where(OrderLine.order_id == Order.id, OrderLine.session_id == session.id)
    return list(db.session.scalars(
        select(Order).where(Order.status.in_(LIVE_STATUSES), holds_seats).order_by(Order.id)))


def tell_buyers_of_move(orders: list[Order], session: TourSession, was: datetime, actor) -> None:
    """A timeline line on each order (its status unchanged) and an email to each buyer."""
    from market.orders.emails import queue_mail
    from market.orders.timeline import session_moved_reason

    for order in orders:
        order.events.append(OrderEvent(
            from_status=order.status, to_status=order.status, actor_id=getattr(actor, "id", None),
            actor_kind="staff" if actor is not None else "system",
            reason=session_moved_reason(was, session.starts_at), created_at=clock.now()))
        queue_mail(order, "session_moved", session=session, was=was)


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
    room = apply_new_room(home, listing, data)
    db.session.commit()
    return room


def apply_new_room(home: Home, listing: Listing, data: RoomInput) -> Room:
    """add_room without the commit."""
    if listing.home_id != home.id:
        raise ManageError(_("This listing belongs to another home."))
    _check_room(listing, data)
    room = Room(listing_id=listing.id)
    _apply_room(room, data)
    db.session.add(room)
    sync_homestay_price(listing)
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




