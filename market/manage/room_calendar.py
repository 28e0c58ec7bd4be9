"""The staff room calendar: per room, a month of nights with its bookings (order reference,
guest) and the nights staff blocked; blocking and opening nights.

A blocked night is a RoomNight without an order line (market/booking/service.py): buyers'
calendars show it taken and a checkout cannot insert the same (room, night). Blocking a booked
night first asks (the view shows what will happen), then cancels that stay with a full refund by
the orders' own paths (the whole order when nothing else in it is owed, else that line), puts a
line on the order's timeline and mails the buyer through the outbox, all in one commit.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from market import clock
from market.booking import holds
from market.booking import service as booking
from market.database import use_case
from market.manage.service import ManageError
from market.orders.emails import queue_mail
from market.orders.errors import OrderError
from market.orders.lifecycle import _owed, apply_cancel_order, release_ended_holds
from market.orders.line_cancel import apply_cancel_line
from market.orders.timeline import night_blocked_reason
from market.payments.service import lock_order
from models import Home, Listing, Order, OrderEvent, OrderLine, Room, RoomNight, db
from models.orders import OrderStatus

REASON_MAX = 200


@dataclass
class Night:
    day: date
    state: str  # "past", "free", "booked" or "blocked"
    order: Order | None = None
    line: OrderLine | None = None
    reason: str = ""


def room_of_home(home: Home, room_id: int) -> Room | None:
    return db.session.scalar(select(Room).join(Listing, Listing.id == Room.listing_id)
                             .where(Room.id == room_id, Listing.home_id == home.id))


def home_rooms(home: Home) -> list[Room]:
    return list(db.session.scalars(select(Room).join(Listing, Listing.id == Room.listing_id)
                                   .where(Listing.home_id == home.id).order_by(Listing.id, Room.id)))


def month_first(text: str | None, today: date) -> date:
    """The first day of the month asked for ("2026-12"), this month when empty; ManageError when
    it is not a month or lies more than a year away."""
    if not text:
        return today.replace(day=1)
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        first = date(year, month, 1)
    except (ValueError, TypeError):
        raise ManageError(_("Please choose a month like 2026-05.")) from None
    if abs((first - today.replace(day=1)).days) > booking.MAX_DAYS_AHEAD + 31:
        raise ManageError(_("Please choose a month within a year of today."))
    return first


def _month_end(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1) - timedelta(days=1)


def nights_of(room: Room, first: date, last: date, now: datetime | None = None) -> dict[date, Night]:
    """Every taken night of the room between first and last: booked (with its order and line)
    or blocked (with the reason). A hold that has ended frees its nights here at once."""
    rows = db.session.execute(
        select(RoomNight, OrderLine, Order)
        .outerjoin(OrderLine, OrderLine.id == RoomNight.order_line_id)
        .outerjoin(Order, Order.id == OrderLine.order_id)
        .where(RoomNight.room_id == room.id, RoomNight.night >= first, RoomNight.night <= last,
               holds.night_taken(now)))
    return {night.night: Night(night.night, "blocked" if line is None else "booked", order, line,
                               night.blocked_reason or "")
            for night, line, order in rows}


def month(room: Room, first: date, now: datetime | None = None) -> list[list[Night | None]]:
    """Weeks (Monday first) of the month's nights, None outside the month."""
    today = clock.local_today(now)
    taken = nights_of(room, first, _month_end(first), now)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    return [[None if day.month != first.month else
             taken.get(day) or Night(day, "past" if day < today else "free") for day in week]
            for week in weeks]


def night_of(room: Room, day: date, now: datetime | None = None) -> Night:
    today = clock.local_today(now)
    return nights_of(room, day, day, now).get(day) or Night(day, "past" if day < today else "free")


def _check_day(day: date, now: datetime) -> None:
    today = clock.local_today(now)
    if not today <= day <= today + timedelta(days=booking.MAX_DAYS_AHEAD):
        raise ManageError(_("Only nights from today to a year ahead can be blocked."))


@use_case
def block(home: Home, room: Room, day: date, *, actor, reason: str = "", confirmed: bool = False,
          now: datetime | None = None) -> Night:
    """Close the room for the night. A booked night is blocked only when `confirmed`: its stay
    is cancelled and refunded in full, the order's timeline says why, the buyer is mailed."""
    now = now or clock.now()
    reason = (reason or "").strip()
    if room_of_home(home, room.id) is None:
        raise ManageError(_("This room belongs to another home."))
    if len(reason) > REASON_MAX:
        raise ManageError(_("Please keep the reason under %(num)d characters.", num=REASON_MAX), "reason")
    _check_day(day, now)
    release_ended_holds(now)  # a night an ended hold kept is free: give it back first
    night = night_of(room, day, now)
    if night.state == "blocked":
        raise ManageError(_("This night is already blocked."))
    if night.state == "booked":
        if not confirmed:
            raise ManageError(_("This night is booked. Please confirm: the stay will be cancelled and "
                                "refunded in full."), "confirmed")
        _cancel_stay(night, actor, day, reason, now)
    if not booking.block_night(room.id, day, reason, getattr(actor, "id", None)):
        db.session.rollback()
        raise ManageError(_("Someone booked this night a moment ago. Please look at the calendar again."))
    db.session.commit()
    return night


def _cancel_stay(night: Night, actor, day: date, reason: str, now: datetime) -> None:
    why = night_blocked_reason(day, reason)
    order = lock_order(night.order.id)
    line = next(line for line in order.lines if line.id == night.line.id)
    others_owed = any(_owed(other) for other in order.lines if other.id != line.id)
    try:
        if order.status == OrderStatus.PENDING_PAYMENT or not others_owed:
            apply_cancel_order(order, actor=actor, by_staff=True, reason=why, now=now)
            return
        amount = apply_cancel_line(order, line, actor=actor, reason=why, initiated_by="staff",
                                   key=f"block-{line.id}")
    except OrderError as error:
        raise ManageError(str(error)) from None
    order.events.append(OrderEvent(from_status=order.status, to_status=order.status,
                                   actor_id=getattr(actor, "id", None), actor_kind="staff",
                                   reason=why, created_at=now))
    queue_mail(order, "night_blocked", line=line, amount=amount, day=day)


@use_case
def unblock(home: Home, room: Room, day: date) -> None:
    if room_of_home(home, room.id) is None:
        raise ManageError(_("This room belongs to another home."))
    if not booking.unblock_night(room.id, day):
        raise ManageError(_("This night is not blocked."))
    db.session.commit()
