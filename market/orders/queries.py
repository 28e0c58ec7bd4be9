"""Reading orders: the buyer's own, a guest's by reference and phone, and the staff console's
lists (orders by status and day, the day's sessions, arrivals, departures, goods to ship,
offline payments to confirm, goods running low)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, exists, not_, select
from sqlalchemy.orm import selectinload

from market import clock
from market.booking.holds import shown_as
from market.notify import service as notify
from market.orders.checkout import normalize_phone
from market.orders.errors import OrderError
from models import Home, JournalEntry, Listing, Order, OrderLine, Payment, Refund, TourSession, db
from models.catalog import GOODS
from models.orders import LIVE_STATUSES, OrderStatus

CONSOLE_DAYS = (date(2000, 1, 1), date(2099, 12, 31))
LOW_STOCK = notify.LOW_STOCK  # the today page lists published goods with this many units or fewer left


def order_by_reference(reference: str) -> Order | None:
    if not reference or len(reference) > 16:
        return None
    return db.session.scalar(
        select(Order).where(Order.reference == reference.upper())
        .options(selectinload(Order.lines), selectinload(Order.events))
    )


def find_guest_order(reference: str, phone: str) -> Order | None:
    order = order_by_reference((reference or "").strip())
    if order is None or order.contact_phone != normalize_phone(phone):
        return None
    return order


def user_orders(user_id: int) -> list[Order]:
    return list(db.session.scalars(
        select(Order).where(Order.user_id == user_id).options(selectinload(Order.lines))
        .order_by(Order.id.desc()).limit(200)))


def orders_by_references(references: list[str]) -> list[Order]:
    if not references:
        return []
    return list(db.session.scalars(
        select(Order).where(Order.reference.in_(references)).options(selectinload(Order.lines))
        .order_by(Order.id.desc())))


def console_day(text: str | None) -> date | None:
    """A day typed into a staff console filter (None when empty); OrderError when it is not a
    date or lies outside CONSOLE_DAYS, which keeps day arithmetic clear of year 1 and 9999."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise OrderError(_("Please enter a date like 2025-05-01.")) from None
    first, last = CONSOLE_DAYS
    if not first <= day <= last:
        raise OrderError(_("Please choose a date between %(first)s and %(last)s.",
                           first=first.isoformat(), last=last.isoformat()))
    return day


def home_orders(home_id: int, status: str | None = None, day_from: date | None = None,
                day_to: date | None = None) -> list[Order]:
    query = select(Order).where(Order.home_id == home_id).options(selectinload(Order.lines))
    if status:
        query = query.where(shown_as(status))
    if day_from:
        query = query.where(Order.created_at >= clock.start_of_day(day_from))
    if day_to:
        query = query.where(Order.created_at < clock.start_of_day(day_to + timedelta(days=1)))
    return list(db.session.scalars(query.order_by(Order.id.desc()).limit(500)))


def home_order(home_id: int, reference: str) -> Order | None:
    order = order_by_reference(reference)
    return order if order is not None and order.home_id == home_id else None


def _live():
    """SQL: orders that hold their places, as a page shows them (an ended hold does not)."""
    return and_(Order.status.in_(LIVE_STATUSES), not_(shown_as(OrderStatus.EXPIRED)))


@dataclass
class Attendance:
    tour_session: TourSession
    listing: Listing
    lines: list[tuple[Order, OrderLine]]

    @property
    def seats(self) -> int:
        return sum(line.quantity for _, line in self.lines)


def sessions_on(home_id: int, day: date) -> list[Attendance]:
    """A home's tour sessions on a local day, each with its paid and held bookings."""
    start = clock.start_of_day(day)
    sessions = list(db.session.scalars(
        select(TourSession).join(Listing, Listing.id == TourSession.listing_id)
        .where(Listing.home_id == home_id, TourSession.starts_at >= start,
               TourSession.starts_at < start + timedelta(days=1))
        .order_by(TourSession.starts_at)))
    result = []
    for tour_session in sessions:
        rows = db.session.execute(
            select(Order, OrderLine).join(OrderLine, OrderLine.order_id == Order.id)
            .where(OrderLine.session_id == tour_session.id, _live())
            .order_by(Order.contact_name)).all()
        result.append(Attendance(tour_session, tour_session.listing, [tuple(row) for row in rows]))
    return result


def booked_sessions_ahead(home_id: int, now, days: int = 14) -> list[TourSession]:
    """A home's sessions of the coming days that have seats booked (to move one in two taps)."""
    return list(db.session.scalars(
        select(TourSession).join(Listing, Listing.id == TourSession.listing_id)
        .where(Listing.home_id == home_id, TourSession.reserved > 0, TourSession.starts_at > now,
               TourSession.starts_at < now + timedelta(days=days))
        .order_by(TourSession.starts_at).limit(20)))


def stays_on(home_id: int, day: date, *, leaving: bool = False) -> list[tuple[Order, OrderLine]]:
    """A home's stays that check in on a local day (or check out, with leaving=True)."""
    on_day = OrderLine.check_out == day if leaving else OrderLine.check_in == day
    rows = db.session.execute(
        select(Order, OrderLine).join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.home_id == home_id, OrderLine.kind == "homestay", on_day,
               _live()).order_by(Order.contact_name)).all()
    return [tuple(row) for row in rows]


def to_ship(home_id: int) -> list[Order]:
    """Paid orders (partly refunded too) with goods still owed and not shipped."""
    waiting = exists().where(OrderLine.order_id == Order.id, OrderLine.kind.in_(GOODS),
                             OrderLine.fulfilled_at.is_(None),
                             OrderLine.refunded_fen < OrderLine.amount_fen)
    return list(db.session.scalars(
        select(Order).where(Order.home_id == home_id, waiting,
                            Order.status.in_((OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)))
        .options(selectinload(Order.lines)).order_by(Order.paid_at)))


def home_by_slug(slug: str) -> Home | None:
    return db.session.scalar(select(Home).where(Home.slug == slug))


def awaiting_offline_payment(home_id: int) -> list[Order]:
    """Orders the buyer means to pay the home directly (cash, transfer), not yet confirmed and
    still held (an ended hold is expired, even before the minute's job records it)."""
    return list(db.session.scalars(
        select(Order).where(Order.home_id == home_id, Order.provider == "offline",
                            shown_as(OrderStatus.PENDING_PAYMENT))
        .options(selectinload(Order.lines)).order_by(Order.created_at)))


def low_stock(home_id: int) -> list[Listing]:
    """Published goods with stock counted (not made to order) and LOW_STOCK units or fewer left."""
    return list(db.session.scalars(
        select(Listing).where(Listing.home_id == home_id, Listing.kind.in_(GOODS),
                              Listing.status == "published", Listing.made_to_order.is_(False),
                              Listing.stock.is_not(None), Listing.stock <= LOW_STOCK)
        .order_by(Listing.stock, Listing.id)))


@dataclass
class BuyerRefund:
    """A refund as the buyer reads it: how much, for what, how and when it comes back, and its
    entry in the public ledger once posted."""

    refund: object
    lines: list[OrderLine]
    entry_seq: int | None
    offline: bool
    back_by: date | None  # offline: the day the home should have handed the money back


def buyer_refunds(order: Order, offline_days: int) -> list[BuyerRefund]:
    """The order's refunds that carry lines (not a mismatched payment given back), oldest first."""
    lines = {line.id: line for line in order.lines}
    refunds = db.session.scalars(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)).all()
    result = []
    for refund in refunds:
        line_ids = [int(k) for k in json.loads(refund.lines_json or "{}")]
        if not line_ids:
            continue
        seq = db.session.scalar(select(JournalEntry.seq).where(
            JournalEntry.refund_id == refund.id, JournalEntry.kind == "refund").limit(1))
        offline = refund.payment.provider == "offline"
        settled = refund.settled_at or refund.created_at
        back_by = clock.local_today(settled) + timedelta(days=offline_days) if offline else None
        result.append(BuyerRefund(refund, [lines[i] for i in line_ids if i in lines], seq, offline, back_by))
    return result


def offline_refunds(order: Order) -> list[Refund]:
    """The order's refunds of money paid to the home, for staff to record the hand-back."""
    return list(db.session.scalars(
        select(Refund).join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.order_id == order.id, Payment.provider == "offline", Refund.status == "succeeded")
        .order_by(Refund.id)))
