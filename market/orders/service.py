"""Cart, checkout and the order lifecycle.

Use-case functions (no prefix) commit once. Helpers prefixed `apply_` never commit: they run
inside a caller's transaction (including hook receivers of the payments domain).

Lifecycle: pending_payment → paid → fulfilled, plus cancelled, expired, refunded and
partially_refunded. Every change goes through `apply_transition`, which records an OrderEvent
(who, when, why) and refuses anything not in TRANSITIONS. A use case that decides from an
order's state first locks the order and reads it afresh (`market.payments.service.lock_order`):
a payment webhook may have committed since the caller read it.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from market import hooks
from market.booking import service as booking
from market.booking.service import BookingError, Unavailable
from market.catalog.service import effective_care_bps, platform_fee_bps
from market.database import reset_write_intent, set_write_intent
from market.ledger.allocation import rates_fit
from models import Elder, Home, Listing, Order, OrderEvent, OrderLine, Room, TourSession, db, utcnow
from models.cart import CartItem

GOODS = ("produce", "craft")
TRANSITIONS: dict[str, set[str]] = {
    "pending_payment": {"paid", "cancelled", "expired"},
    # A payment that arrives after the hold ended: paid again if everything can be re-reserved.
    "expired": {"paid", "refunded"},
    "cancelled": {"paid", "refunded"},
    "paid": {"fulfilled", "cancelled", "refunded", "partially_refunded"},
    "partially_refunded": {"fulfilled", "cancelled", "refunded", "partially_refunded"},
    "fulfilled": {"refunded", "partially_refunded"},
    "refunded": set(),
}
LIVE = ("pending_payment", "paid", "partially_refunded", "fulfilled")
DEFAULT_CANCEL_HOURS = {"tour": 48, "homestay": 72}
PHONE = re.compile(r"^(?:1[3-9]\d{9}|\+\d{6,15})$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
TOKEN = re.compile(r"^[0-9a-f]{32}$")
REF_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CONSOLE_DAYS = (date(2000, 1, 1), date(2099, 12, 31))


class OrderError(ValueError):
    """A request the order's state or the rules do not allow; str(error) is translated."""


class OrderStateError(OrderError):
    """The order's status does not allow this (shown as 409)."""


class SoldOut(OrderError):
    """Checkout could not reserve everything; `gone` names each item that ran out."""

    def __init__(self, gone: list[str]):
        self.gone = gone
        super().__init__(_("Sorry, sold out: %(items)s. Nothing was reserved; please change your "
                           "cart and try again.", items="; ".join(gone)))


class PriceChanged(OrderError):
    def __init__(self, review):
        self.review = review
        super().__init__(_("A price or total changed since you looked. Please check the new total "
                           "and confirm again."))


# ---- cart ----------------------------------------------------------------------------------

def _published(listing_id) -> Listing:
    try:
        listing_id = int(listing_id)
    except (TypeError, ValueError):
        raise BookingError(_("That item does not exist.")) from None
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.home.status != "active":
        raise BookingError(_("That item does not exist."))
    if listing.status != "published":
        raise BookingError(_("This item is no longer offered."))
    return listing


def _title(listing: Listing) -> str:
    from market.i18n import localized

    return localized(listing, "title")


def _validate_tour(listing: Listing, session_id, seats: int, now: datetime) -> TourSession:
    if listing.kind != "tour":
        raise BookingError(_("That item does not exist."))
    try:
        tour_session = db.session.get(TourSession, int(session_id))
    except (TypeError, ValueError):
        tour_session = None
    if tour_session is None or tour_session.listing_id != listing.id:
        raise BookingError(_("Please choose one of the sessions shown."))
    if tour_session.starts_at <= now:
        # Not "sold out": a started session is a problem to fix in the cart, not a lost race.
        raise BookingError(_("This session has already started. Please choose a later one."))
    left = booking.seats_left(tour_session)
    if left <= 0:
        raise Unavailable(_("Sorry, this session is sold out."))
    if seats > left:
        raise Unavailable(_("Only %(num)d seats are left in this session.", num=left))
    return tour_session


def _validate_stay(listing: Listing, room_id, check_in: date, check_out: date, guests: int,
                   now: datetime, look_up_nights: bool = True) -> tuple[Room, list[date]]:
    if listing.kind != "homestay":
        raise BookingError(_("That item does not exist."))
    try:
        room = db.session.get(Room, int(room_id))
    except (TypeError, ValueError):
        room = None
    if room is None or room.listing_id != listing.id or not room.active:
        raise BookingError(_("Please choose one of the rooms shown."))
    nights = booking.check_stay_dates(check_in, check_out, booking.local_today(now))
    if guests > room.max_guests:
        raise BookingError(_("This room sleeps at most %(num)d guests.", num=room.max_guests))
    taken = booking.booked_nights(room.id, nights) if look_up_nights else []
    if taken:
        raise Unavailable(_("Sorry, this room is already booked on %(dates)s.",
                             dates=", ".join(night.isoformat() for night in taken)))
    return room, nights


def _validate_goods(listing: Listing, quantity: int) -> None:
    if listing.kind not in GOODS:
        raise BookingError(_("That item does not exist."))
    left = booking.units_left(listing)
    if left is not None and left <= 0:
        raise Unavailable(_("Sorry, this item is sold out."))
    if left is not None and quantity > left:
        raise Unavailable(_("Only %(num)d left.", num=left))


def add_to_cart(owner: str, listing_id, *, quantity=None, session_id=None, room_id=None,
                check_in=None, check_out=None, guests=None, now: datetime | None = None) -> CartItem:
    """Check an item the buyer picked and put it in the cart (nothing is reserved yet).

    Raw form values are accepted and checked here; any problem raises BookingError.
    """
    now = now or utcnow()
    listing = _published(listing_id)
    item = CartItem(owner=owner, listing_id=listing.id)
    if listing.kind == "tour":
        seats = booking.parse_quantity(quantity, maximum=100)
        _validate_tour(listing, session_id, seats, now)
        existing = db.session.scalar(select(CartItem).where(
            CartItem.owner == owner, CartItem.session_id == int(session_id)))
        if existing is not None:
            _validate_tour(listing, session_id, existing.quantity + seats, now)
            existing.quantity += seats
            existing.seen_amount_fen = listing.price_fen * existing.quantity
            db.session.commit()
            return existing
        item.session_id, item.quantity = int(session_id), seats
        item.seen_amount_fen = listing.price_fen * seats
    elif listing.kind == "homestay":
        guest_count = booking.parse_quantity(guests, maximum=50)
        start, end = booking.parse_date(check_in), booking.parse_date(check_out)
        room, nights = _validate_stay(listing, room_id, start, end, guest_count, now)
        for other in db.session.scalars(select(CartItem).where(CartItem.owner == owner,
                                                               CartItem.room_id == room.id)):
            if other.check_in < end and start < other.check_out:
                raise BookingError(_("These nights of this room are already in your cart."))
        item.room_id, item.check_in, item.check_out = room.id, start, end
        item.guests, item.quantity = guest_count, len(nights)
        item.seen_amount_fen = room.nightly_price_fen * len(nights)
    else:
        units = booking.parse_quantity(quantity)
        existing = db.session.scalar(select(CartItem).where(
            CartItem.owner == owner, CartItem.listing_id == listing.id))
        total = units + (existing.quantity if existing else 0)
        if total > booking.MAX_QUANTITY:
            raise BookingError(_("Please choose at most %(num)d.", num=booking.MAX_QUANTITY))
        _validate_goods(listing, total)
        if existing is not None:
            existing.quantity = total
            existing.seen_amount_fen = listing.price_fen * total
            db.session.commit()
            return existing
        item.quantity = units
        item.seen_amount_fen = listing.price_fen * units
    db.session.add(item)
    db.session.commit()
    return item


def cart_items(owner: str) -> list[CartItem]:
    return list(db.session.scalars(
        select(CartItem).where(CartItem.owner == owner)
        .options(joinedload(CartItem.listing).joinedload(Listing.home),
                 joinedload(CartItem.tour_session), joinedload(CartItem.room))
        .order_by(CartItem.id)
    ))


def cart_count(owner: str | None) -> int:
    if not owner:
        return 0
    return len(db.session.scalars(select(CartItem.id).where(CartItem.owner == owner)).all())


def remove_from_cart(owner: str, item_id) -> None:
    try:
        item_id = int(item_id)
    except (TypeError, ValueError):
        return
    db.session.execute(delete(CartItem).where(CartItem.owner == owner, CartItem.id == item_id))
    db.session.commit()


def merge_carts(from_owner: str, to_owner: str) -> None:
    """A guest logged in: their session cart joins their account cart (goods quantities add)."""
    if from_owner == to_owner:
        return
    moving = cart_items(from_owner)
    if not moving:
        return
    mine = {(i.listing_id, i.session_id): i for i in cart_items(to_owner) if i.room_id is None}
    for item in moving:
        same = mine.get((item.listing_id, item.session_id)) if item.room_id is None else None
        if same is not None:
            same.quantity = min(same.quantity + item.quantity, booking.MAX_QUANTITY)
            same.seen_amount_fen += item.seen_amount_fen
            db.session.delete(item)
        else:
            item.owner = to_owner
    db.session.commit()


# ---- review and checkout -------------------------------------------------------------------

@dataclass
class ReviewLine:
    item: CartItem
    listing: Listing
    title: str
    unit_price_fen: int
    quantity: int
    amount_fen: int
    problem: str | None = None
    unavailable: bool = False

    @property
    def price_changed(self) -> bool:
        return self.amount_fen != self.item.seen_amount_fen


@dataclass
class Review:
    lines: list[ReviewLine] = field(default_factory=list)

    @property
    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)

    @property
    def currency(self) -> str:
        return self.lines[0].listing.currency if self.lines else "CNY"

    @property
    def needs_shipping(self) -> bool:
        return any(line.listing.kind in GOODS for line in self.lines)

    @property
    def price_changed(self) -> bool:
        return any(line.price_changed for line in self.lines)

    @property
    def problems(self) -> list[str]:
        return [f"{line.title}: {line.problem}" for line in self.lines if line.problem]

    def ship_regions(self) -> list[str] | None:
        """Provinces every goods line ships to; None when no goods line limits them."""
        allowed = None
        for line in self.lines:
            if line.listing.kind in GOODS and line.listing.ships_to.strip():
                regions = {r.strip() for r in line.listing.ships_to.replace("，", ",").split(",")
                           if r.strip()}
                allowed = regions if allowed is None else allowed & regions
        return sorted(allowed) if allowed is not None else None


def review_cart(owner: str, now: datetime | None = None, look_up_nights: bool = True) -> Review:
    """The cart priced from the database now, each line checked again.

    Checkout passes look_up_nights=False: the unique room-night insert is the real check there."""
    now = now or utcnow()
    review = Review()
    for item in cart_items(owner):
        listing = item.listing
        line = ReviewLine(item, listing, _title(listing), listing.price_fen, item.quantity, 0)
        try:
            if listing.status != "published" or listing.home.status != "active":
                raise BookingError(_("This item is no longer offered."))
            if listing.kind == "tour":
                _validate_tour(listing, item.session_id, item.quantity, now)
            elif listing.kind == "homestay":
                room, nights = _validate_stay(listing, item.room_id, item.check_in, item.check_out,
                                              item.guests or 1, now, look_up_nights)
                line.unit_price_fen = room.nightly_price_fen
                line.quantity = len(nights)
            else:
                _validate_goods(listing, item.quantity)
        except BookingError as error:
            line.problem = str(error)
            line.unavailable = isinstance(error, Unavailable)
            if listing.kind == "homestay" and item.room is not None:
                line.unit_price_fen = item.room.nightly_price_fen
        line.amount_fen = line.unit_price_fen * line.quantity
        review.lines.append(line)
    return review


@dataclass
class Contact:
    name: str
    phone: str
    email: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    street: str | None = None


def normalize_phone(text: str) -> str:
    return re.sub(r"[\s\-()]", "", text or "")


def check_contact(contact: Contact, review: Review) -> dict[str, str]:
    """Field name → translated message for each problem (empty when all is well)."""
    errors = {}
    if not (contact.name or "").strip() or len(contact.name.strip()) > 80:
        errors["contact_name"] = _("Please give a name of 1 to 80 characters.")
    if not PHONE.match(normalize_phone(contact.phone)):
        errors["contact_phone"] = _("Please give a mainland mobile number (11 digits starting with 1) "
                                    "or an international number starting with +.")
    if contact.email and not EMAIL.match(contact.email.strip()):
        errors["contact_email"] = _("Please give a valid email address, or leave it empty.")
    if review.needs_shipping:
        for name in ("province", "city", "district", "street"):
            value = (getattr(contact, name) or "").strip()
            if not value or len(value) > (200 if name == "street" else 40):
                errors[f"ship_{name}"] = _("Please fill in the shipping address.")
        regions = review.ship_regions()
        province = (contact.province or "").strip()
        if province and regions is not None and province not in regions:
            errors["ship_province"] = _("These goods do not ship to %(region)s. They ship to: "
                                        "%(regions)s.", region=province, regions="、".join(regions))
    return errors


def _new_reference() -> str:
    return "".join(secrets.choice(REF_ALPHABET) for _ in range(8))


def new_checkout_token() -> str:
    return uuid.uuid4().hex


def orders_for_token(token: str, owner: str | None) -> list[Order]:
    """The orders one checkout form made, for the owner of the cart it emptied only."""
    if not owner or not TOKEN.match(token or ""):
        return []
    return list(db.session.scalars(
        select(Order).where(Order.checkout_token == token, Order.cart_owner == owner)
        .options(selectinload(Order.lines)).order_by(Order.id)))


def _hold_minutes(provider_name: str) -> int:
    from market.payments.providers import get_provider

    return get_provider(provider_name).hold_for(current_app)


def _reserve_line(line: OrderLine, nights: list[date], now: datetime) -> bool:
    if line.kind == "tour":
        return booking.reserve_seats(line.session_id, line.quantity, now)
    if line.kind == "homestay":
        return booking.reserve_nights(line.room_id, nights, line.id)
    listing = db.session.get(Listing, line.listing_id)
    if listing.made_to_order or listing.stock is None:
        return True
    return booking.reserve_stock(line.listing_id, line.quantity)


def _lock_key(line: OrderLine) -> tuple:
    """Reserve rows in one global order so concurrent checkouts never deadlock (PostgreSQL)."""
    return ({"tour": 0, "homestay": 1}.get(line.kind, 2), line.session_id or line.room_id or line.listing_id)


def _line_rates(line: ReviewLine) -> tuple[int, int, Elder | None]:
    """(care share, elder incentive) in bps for a cart line, and the elder credited: a
    session's elder, else the listing's."""
    session = line.item.tour_session
    elder = (session.elder if session is not None else None) or line.listing.elder
    return effective_care_bps(line.listing), elder.incentive_bps if elder is not None else 0, elder


def checkout(owner: str, contact: Contact, token: str, expected_total_fen, *, user_id: int | None = None,
             provider_name: str = "offline", locale: str = "zh_Hans",
             now: datetime | None = None) -> list[Order]:
    """Turn the cart into orders (one per home), reserving everything at once or nothing.

    The same `token` (one per checkout form) always gives the same orders back, however often
    the form is sent: a second submission finds the cart empty and the orders made, or (when
    both run at once) hits the unique idempotency_token and then finds the first one's orders.
    Raises OrderError / SoldOut / PriceChanged, with nothing changed.
    """
    now = now or utcnow()
    if not TOKEN.match(token or ""):
        raise OrderError(_("The form expired. Please reload the page and try again."))
    from market.payments.providers import enabled_providers

    if provider_name not in enabled_providers(current_app):
        raise OrderError(_("Please choose a way to pay."))
    review = review_cart(owner, now, look_up_nights=False)
    if not review.lines:
        # The same form sent again after it went through: the cart is empty, the orders exist.
        done = orders_for_token(token, owner)
        if done:
            return done
        raise OrderError(_("Your cart is empty."))
    gone = [line.title for line in review.lines if line.unavailable]
    if gone:
        raise SoldOut(gone)
    if review.problems:
        raise OrderError("; ".join(review.problems))
    try:
        expected = int(expected_total_fen)
    except (TypeError, ValueError):
        expected = -1
    if expected != review.total_fen:
        raise PriceChanged(review)
    errors = check_contact(contact, review)
    if errors:
        raise OrderError(" ".join(dict.fromkeys(errors.values())))

    fee_bps = platform_fee_bps()
    for line in review.lines:  # the last guard before any money is taken
        care_bps, incentive_bps, _elder = _line_rates(line)
        if not rates_fit(care_bps, incentive_bps, fee_bps):
            current_app.logger.error("listing %s: rates %s+%s+%s bps exceed 100%%", line.listing.id,
                                     care_bps, incentive_bps, fee_bps)
            raise OrderError(_("“%(title)s” cannot be bought at the moment. Please remove it from your "
                               "cart.", title=line.title))
    hold = now + timedelta(minutes=_hold_minutes(provider_name))
    by_home: dict[int, list[ReviewLine]] = {}
    for line in review.lines:
        by_home.setdefault(line.listing.home_id, []).append(line)
    orders: list[Order] = []
    to_reserve: list[tuple[OrderLine, list[date], str]] = []
    ships = review.needs_shipping
    for index, (home_id, lines) in enumerate(sorted(by_home.items()), start=1):
        home_goods = any(line.listing.kind in GOODS for line in lines)
        order = Order(
            reference=_new_reference(), idempotency_token=f"{token}:{index}", checkout_token=token,
            cart_owner=owner, user_id=user_id,
            home_id=home_id, status="pending_payment", provider=provider_name,
            total_fen=sum(line.amount_fen for line in lines), currency=review.currency,
            contact_name=contact.name.strip(), contact_phone=normalize_phone(contact.phone),
            contact_email=(contact.email or "").strip() or None, locale=locale,
            hold_expires_at=hold, created_at=now,
        )
        if ships and home_goods:
            order.ship_province = contact.province.strip()
            order.ship_city = contact.city.strip()
            order.ship_district = contact.district.strip()
            order.ship_street = contact.street.strip()
        for line in lines:
            listing, item = line.listing, line.item
            care_bps, incentive_bps, elder = _line_rates(line)
            order_line = OrderLine(
                home_id=home_id, listing_id=listing.id, kind=listing.kind, title=listing.title_zh[:200],
                title_en=(listing.title_en or "")[:200],
                session_id=item.session_id, room_id=item.room_id, check_in=item.check_in,
                check_out=item.check_out, guests=item.guests, quantity=line.quantity,
                unit_price_fen=line.unit_price_fen, amount_fen=line.amount_fen,
                care_share_bps=care_bps, incentive_bps=incentive_bps, platform_fee_bps=fee_bps,
                elder_id=elder.id if elder is not None else None,
                holds_inventory=True,
            )
            order.lines.append(order_line)
            nights = booking.nights_between(item.check_in, item.check_out) if item.room_id else []
            to_reserve.append((order_line, nights, line.title))
        order.events.append(OrderEvent(from_status=None, to_status="pending_payment",
                                       actor_id=user_id, actor_kind="customer", reason="checkout",
                                       created_at=now))
        db.session.add(order)
        orders.append(order)
    try:
        db.session.flush()
        gone = [title for line, nights, title in sorted(to_reserve, key=lambda t: _lock_key(t[0]))
                if not _reserve_line(line, nights, now)]
    except IntegrityError:
        db.session.rollback()
        again = orders_for_token(token, owner)
        if again:
            return again
        raise
    if gone:
        db.session.rollback()
        raise SoldOut(list(dict.fromkeys(gone)))
    cart = CartItem.__table__
    db.session.execute(delete(cart).where(cart.c.owner == owner))
    for order in orders:
        _queue_mail(order, "placed")
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        again = orders_for_token(token, owner)
        if again:
            return again
        raise
    return orders


# ---- lifecycle -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Buyer:
    """The buyer acting on their own order (a guest has no id): pass it as `actor` so the
    timeline says the customer did it."""

    id: int | None = None
    actor_kind = "customer"


def apply_transition(order: Order, to_status: str, *, actor=None, reason: str = "",
                     now: datetime | None = None) -> OrderEvent:
    """Move `order` to `to_status` and record who, when and why; OrderError if not allowed.

    `actor`: a Buyer, a user or user id (the home's staff), or None (the system)."""
    if to_status not in TRANSITIONS.get(order.status, set()):
        raise OrderStateError(_("This order cannot go from %(old)s to %(new)s.",
                           old=status_label(order.status), new=status_label(to_status)))
    actor_id = getattr(actor, "id", actor if isinstance(actor, int) else None)
    kind = getattr(actor, "actor_kind", "system" if actor is None else "staff")
    event = OrderEvent(order_id=order.id, from_status=order.status, to_status=to_status,
                       actor_id=actor_id, actor_kind=kind, reason=reason or "", created_at=now or utcnow())
    order.status = to_status
    order.events.append(event)
    db.session.flush()
    return event


def apply_release(order: Order) -> None:
    """Give back everything `order` still holds (seats, nights, stock)."""
    for line in order.lines:
        if not line.holds_inventory:
            continue
        if line.kind == "tour" and line.session_id:
            booking.release_seats(line.session_id, line.quantity)
        elif line.kind == "homestay":
            booking.release_nights(line.id)
        elif line.kind in GOODS:
            listing = db.session.get(Listing, line.listing_id)
            if not listing.made_to_order and listing.stock is not None:
                if order.paid_at is not None:
                    booking.restock(line.listing_id, line.quantity)
                else:
                    booking.release_stock(line.listing_id, line.quantity)
        line.holds_inventory = False
    db.session.flush()


def apply_expire(order: Order, *, reason: str = "hold expired", now: datetime | None = None) -> bool:
    """An unpaid order's hold ended: release it and mark it expired. False if not unpaid."""
    if order.status != "pending_payment":
        return False
    apply_release(order)
    order.hold_expires_at = None
    apply_transition(order, "expired", reason=reason, now=now)
    return True


def apply_rereserve(order: Order, now: datetime | None = None) -> bool:
    """Try to take again everything an expired or cancelled unpaid order held (all or nothing)."""
    now = now or utcnow()
    lines = [line for line in order.lines if not line.holds_inventory]
    savepoint = db.session.begin_nested()
    ok = True
    for line in sorted(lines, key=_lock_key):
        nights = booking.nights_between(line.check_in, line.check_out) if line.kind == "homestay" else []
        if line.kind == "homestay" and line.check_in < booking.local_today(now):
            ok = False
        if not ok or not _reserve_line(line, nights, now):
            ok = False
            break
    if not ok:
        savepoint.rollback()
        return False
    for line in lines:
        line.holds_inventory = True
    savepoint.commit()
    return True


def apply_mark_paid(order: Order, payment) -> bool:
    """The order is paid: goods holds become sales, status → paid, `hooks.order_paid` sent once.

    Returns False (and does nothing) when the order is already paid."""
    if order.status == "paid" or order.paid_at is not None:
        return False
    for line in order.lines:
        if line.kind in GOODS and line.holds_inventory:
            listing = db.session.get(Listing, line.listing_id)
            if not listing.made_to_order and listing.stock is not None:
                booking.consume_stock(line.listing_id, line.quantity)
    now = getattr(payment, "confirmed_at", None) or utcnow()
    apply_transition(order, "paid", actor=getattr(payment, "recorded_by_id", None),
                     reason=f"payment {payment.provider} {payment.method or ''}".strip(), now=now)
    order.paid_at = now
    order.hold_expires_at = None
    order.provider = payment.provider
    db.session.flush()
    hooks.order_paid.send(order, payment=payment)
    _queue_mail(order, "paid")
    return True


def _full_refund_amounts(order: Order) -> dict[int, int]:
    from market.payments.service import refundable_by_line

    return {line_id: fen for line_id, fen in refundable_by_line(order).items() if fen > 0}


# ---- hook receivers (payments → orders) ----------------------------------------------------

def _on_payment_confirmed(payment, **_extra) -> None:
    from market.payments.service import apply_flag

    order = payment.order or db.session.get(Order, payment.order_id)
    if payment.currency != order.currency or payment.amount_fen != order.total_fen:
        apply_flag(order, f"payment {payment.id}: {payment.amount_fen} {payment.currency} does not "
                          f"match the total {order.total_fen} {order.currency}")
        return
    if order.status == "pending_payment":
        apply_mark_paid(order, payment)
    elif order.status == "expired" and order.paid_at is None:
        if apply_rereserve(order):
            apply_mark_paid(order, payment)
        else:
            _refund_late(order, payment, "paid after the hold ended; sold out")
    elif order.status == "cancelled" and order.paid_at is None:
        # Cancelled by the buyer or the home: a late payment never brings it back.
        _refund_late(order, payment, "paid after the order was cancelled")
    else:
        apply_flag(order, f"paid again (payment {payment.id}); please refund")


def _refund_late(order: Order, payment, reason: str) -> None:
    """Money for an order that has ended: it is recorded as received (so the books see it come
    in), then the order is cancelled and the payment refunded in full through the provider."""
    from market.payments.service import apply_flag, apply_request_refund

    apply_flag(order, f"{reason} (payment {payment.id}), refunded")
    apply_mark_paid(order, payment)
    apply_transition(order, "cancelled", reason=reason)
    apply_request_refund(order, _full_refund_amounts(order), reason,
                         idempotency_key=f"late-{payment.id}", initiated_by="market")
    _queue_mail(order, "cancelled")


def _on_payment_failed(payment, **_extra) -> None:
    order = payment.order or db.session.get(Order, payment.order_id)
    if order.status == "pending_payment":
        apply_expire(order, reason="payment failed")


def _on_payment_disputed(payment, reason: str = "", **_extra) -> None:
    from market.payments.service import apply_flag

    order = payment.order or db.session.get(Order, payment.order_id)
    apply_flag(order, reason or f"payment {payment.id} disputed")


def _on_refund_settled(refund, **_extra) -> None:
    order = db.session.get(Order, refund.order_id)
    by_id = {line.id: line for line in order.lines}
    for line_id, fen in json.loads(refund.lines_json or "{}").items():
        line = by_id.get(int(line_id))
        if line is not None:
            line.refunded_fen = min(line.amount_fen, line.refunded_fen + int(fen))
    fully = all(line.refunded_fen >= line.amount_fen for line in order.lines)
    target = "refunded" if fully else "partially_refunded"
    if target in TRANSITIONS.get(order.status, set()):
        if target == "refunded" and order.status in ("paid", "partially_refunded"):
            apply_release(order)
        by = refund.requested_by_id
        apply_transition(order, target, actor=Buyer(by) if by and by == order.user_id else by,
                         reason=f"refund {refund.id}: {refund.reason}".strip())
        if target == "partially_refunded":
            from market.orders.fulfilment import apply_complete

            apply_complete(order)  # what is left may all be done already
    db.session.flush()


def connect_hooks() -> None:
    hooks.payment_confirmed.connect(_on_payment_confirmed)
    hooks.payment_failed.connect(_on_payment_failed)
    hooks.payment_disputed.connect(_on_payment_disputed)
    hooks.refund_settled.connect(_on_refund_settled)


# ---- use cases: expiry, cancellation, payment, fulfilment ----------------------------------

def expire_due(now: datetime | None = None, limit: int = 500) -> int:
    """Release every unpaid order whose hold has ended (`flask orders expire`). Commits.

    Each order is locked and read again before it is expired: a payment confirmed meanwhile
    (the webhook holds the lock while it decides) keeps its order; one being decided is skipped."""
    from market.payments.service import lock_order

    now = now or utcnow()
    due = db.session.scalars(
        select(Order.id).where(Order.status == "pending_payment", Order.hold_expires_at <= now)
        .order_by(Order.hold_expires_at).limit(limit)).all()
    count = 0
    for order_id in due:
        order = lock_order(order_id, skip_locked=True)
        if order is not None and order.hold_expires_at is not None and order.hold_expires_at <= now:
            count += apply_expire(order, now=now)
    db.session.commit()
    return count


def lazy_release(now: datetime | None = None) -> int:
    """Called whenever availability is read. A cheap check first; only when a hold has ended,
    a short write transaction of its own releases it (begun IMMEDIATE on SQLite, and begun
    afresh so that a deferred read transaction is never upgraded, which could deadlock)."""
    now = now or utcnow()
    due = db.session.scalar(select(exists().where(Order.status == "pending_payment",
                                                  Order.hold_expires_at <= now)))
    db.session.rollback()
    if not due:
        return 0
    token = set_write_intent(True)
    try:
        return expire_due(now)
    except Exception:
        db.session.rollback()
        current_app.logger.exception("lazy release of expired holds failed")
        return 0
    finally:
        reset_write_intent(token)


def cancel_deadline(line: OrderLine, listing: Listing) -> datetime | None:
    """Until when a paid line may be cancelled by the buyer; None = until shipped (goods)."""
    if line.kind in GOODS:
        return None
    hours = listing.cancel_hours if listing.cancel_hours is not None else DEFAULT_CANCEL_HOURS[line.kind]
    if line.kind == "tour":
        start = db.session.get(TourSession, line.session_id).starts_at
    else:
        start = datetime.combine(line.check_in, time(14, 0), tzinfo=booking.SHANGHAI)
    return start - timedelta(hours=hours)


def can_customer_cancel(order: Order, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if order.status == "pending_payment":
        return True
    if order.status != "paid" or any(line.fulfilled_at for line in order.lines):
        return False  # something was shipped, attended or stayed
    for line in order.lines:
        deadline = cancel_deadline(line, db.session.get(Listing, line.listing_id))
        if deadline is not None and now > deadline:
            return False
    return True


def cancel_order(order: Order, *, actor=None, by_staff: bool = False, reason: str = "",
                 now: datetime | None = None) -> Order:
    """Cancel: unpaid orders freely; paid ones within policy (customers) or always (staff,
    with a reason), releasing what they hold and refunding in full through the provider.

    Decided from the order as it is once locked, never from the copy the caller read: a payment
    confirmed meanwhile makes it a paid order, cancelled with its refund. An unpaid order's open
    payment attempts are closed (the Checkout Session expired) after the commit."""
    from market.payments import outbox
    from market.payments.service import (
        PaymentError,
        apply_abandon_attempts,
        apply_request_refund,
        lock_order,
    )

    now = now or utcnow()
    reason = (reason or "").strip()
    if by_staff and not reason:
        raise OrderError(_("Please give the reason for cancelling."))
    if len(reason) > 500:
        raise OrderError(_("Please keep the reason under 500 characters."))
    order = lock_order(order.id)
    if order.status not in ("pending_payment", "paid", "partially_refunded"):
        raise OrderStateError(_("This order can no longer be cancelled."))
    if not by_staff and not can_customer_cancel(order, now):
        raise OrderStateError(_("This order can no longer be cancelled online. Please contact the home."))
    was_paid = order.status != "pending_payment"
    apply_release(order)
    order.hold_expires_at = None
    apply_transition(order, "cancelled", actor=actor, reason=reason or "cancelled by the buyer", now=now)
    if not was_paid:
        apply_abandon_attempts(order)
    elif amounts := _full_refund_amounts(order):
        try:
            apply_request_refund(order, amounts, reason or "cancelled", actor=actor,
                                 idempotency_key=f"cancel-{order.id}",
                                 initiated_by="staff" if by_staff else "customer")
        except PaymentError as error:
            db.session.rollback()
            raise OrderError(str(error)) from None
    _queue_mail(order, "cancelled")
    db.session.commit()
    outbox.run()
    return order


def mark_paid_offline(order: Order, *, actor, method: str, amount_text: str,
                      now: datetime | None = None) -> Order:
    """Home staff record an offline payment through the offline provider's `confirm`: who
    (actor), when, method, amount (which must equal the total)."""
    from market.money import parse_major
    from market.payments.providers import get_provider
    from market.payments.service import PaymentError, lock_order

    order = lock_order(order.id)
    if order.status not in ("pending_payment", "expired"):
        raise OrderStateError(_("This order cannot be marked paid now (it is %(status)s).",
                           status=status_label(order.status)))
    try:
        amount = parse_major(amount_text)
    except ValueError:
        raise OrderError(_("Please enter the amount received, such as 128.00.")) from None
    try:
        get_provider("offline").confirm(order, actor=actor, method=method, amount_fen=amount)
    except PaymentError as error:
        db.session.rollback()
        raise OrderError(str(error)) from None
    if order.status != "paid":
        db.session.rollback()
        raise OrderStateError(_("This order's booking has ended and could not be taken again. Please "
                           "return the money."))
    db.session.commit()
    return order


REFUNDABLE = ("paid", "partially_refunded", "fulfilled")


def refund_lines(order: Order, *, actor, requests: dict[int, tuple[str, str]], reason: str,
                 token: str):
    """Home staff refund part of an order: per line a quantity (seats, nights or units, at the
    line's unit price) or an amount in yuan, never more than is left to refund on that line.

    The refund goes through the order's provider (Stripe: sent after the commit, settled by its
    webhook; offline: settled at once) and the ledger reverses through `refund_settled`. The form's
    `token` makes the idempotency key, so sending the same form twice refunds once. Commits."""
    from market.payments import outbox
    from market.payments.service import PaymentError, apply_request_refund, lock_order

    reason = (reason or "").strip()
    if not reason:
        raise OrderError(_("Please give the reason for the refund."))
    if len(reason) > 500:
        raise OrderError(_("Please keep the reason under 500 characters."))
    if not TOKEN.match(token or ""):
        raise OrderError(_("The form expired. Please reload the page and try again."))
    order = lock_order(order.id)
    if order.status not in REFUNDABLE:
        raise OrderStateError(_("Only a paid order can be refunded."))
    amounts = _refund_amounts(order, requests)
    try:
        refund = apply_request_refund(order, amounts, reason, actor=actor,
                                      idempotency_key=f"staff-{order.id}-{token}", initiated_by="staff")
    except PaymentError as error:
        db.session.rollback()
        raise OrderError(str(error)) from None
    db.session.commit()
    outbox.run()
    return refund


def _refund_amounts(order: Order, requests: dict[int, tuple[str, str]]) -> dict[int, int]:
    from market.money import parse_major

    lines = {line.id: line for line in order.lines}
    amounts: dict[int, int] = {}
    for line_id, (quantity_text, amount_text) in requests.items():
        line = lines.get(line_id)
        if line is None:
            raise OrderError(_("That line is not part of this order."))
        quantity_text, amount_text = (quantity_text or "").strip(), (amount_text or "").strip()
        if quantity_text and amount_text:
            raise OrderError(_("%(line)s: give a quantity or an amount, not both.", line=line.title))
        if quantity_text:
            try:
                amounts[line_id] = booking.parse_quantity(quantity_text, maximum=line.quantity) * \
                    line.unit_price_fen
            except BookingError as error:
                raise OrderError(f"{line.title}: {error}") from None
        elif amount_text:
            try:
                amounts[line_id] = parse_major(amount_text)
            except ValueError:
                raise OrderError(_("%(line)s: enter an amount such as 12.50.", line=line.title)) from None
    if not any(amounts.values()):
        raise OrderError(_("Choose what to refund: a quantity or an amount for at least one line."))
    return amounts


# ---- reading -------------------------------------------------------------------------------

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
        query = query.where(Order.status == status)
    if day_from:
        query = query.where(Order.created_at >= datetime.combine(day_from, time(0), booking.SHANGHAI))
    if day_to:
        query = query.where(Order.created_at < datetime.combine(day_to + timedelta(days=1), time(0),
                                                                booking.SHANGHAI))
    return list(db.session.scalars(query.order_by(Order.id.desc()).limit(500)))


def home_order(home_id: int, reference: str) -> Order | None:
    order = order_by_reference(reference)
    return order if order is not None and order.home_id == home_id else None


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
    start = datetime.combine(day, time(0), booking.SHANGHAI)
    sessions = list(db.session.scalars(
        select(TourSession).join(Listing, Listing.id == TourSession.listing_id)
        .where(Listing.home_id == home_id, TourSession.starts_at >= start,
               TourSession.starts_at < start + timedelta(days=1))
        .order_by(TourSession.starts_at)))
    result = []
    for tour_session in sessions:
        rows = db.session.execute(
            select(Order, OrderLine).join(OrderLine, OrderLine.order_id == Order.id)
            .where(OrderLine.session_id == tour_session.id, Order.status.in_(LIVE))
            .order_by(Order.contact_name)).all()
        result.append(Attendance(tour_session, tour_session.listing, [tuple(row) for row in rows]))
    return result


def stays_on(home_id: int, day: date, *, leaving: bool = False) -> list[tuple[Order, OrderLine]]:
    """A home's stays that check in on a local day (or check out, with leaving=True)."""
    on_day = OrderLine.check_out == day if leaving else OrderLine.check_in == day
    rows = db.session.execute(
        select(Order, OrderLine).join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.home_id == home_id, OrderLine.kind == "homestay", on_day,
               Order.status.in_(LIVE)).order_by(Order.contact_name)).all()
    return [tuple(row) for row in rows]


def to_ship(home_id: int) -> list[Order]:
    """Paid orders (partly refunded too) with goods still owed and not shipped."""
    waiting = exists().where(OrderLine.order_id == Order.id, OrderLine.kind.in_(GOODS),
                             OrderLine.fulfilled_at.is_(None),
                             OrderLine.refunded_fen < OrderLine.amount_fen)
    return list(db.session.scalars(
        select(Order).where(Order.home_id == home_id, Order.status.in_(("paid", "partially_refunded")),
                            waiting)
        .options(selectinload(Order.lines)).order_by(Order.paid_at)))


def home_by_slug(slug: str) -> Home | None:
    return db.session.scalar(select(Home).where(Home.slug == slug))


def status_label(status: str) -> str:
    labels = {
        "pending_payment": _("waiting for payment"), "paid": _("paid"), "fulfilled": _("done"),
        "cancelled": _("cancelled"), "expired": _("expired"), "refunded": _("refunded"),
        "partially_refunded": _("partly refunded"),
    }
    return labels.get(status, status)


# ---- mail ----------------------------------------------------------------------------------

def _queue_mail(order: Order, what: str, **context) -> None:
    if not order.contact_email:
        return
    from market.mail import Mail, render_bilingual, send_after_commit

    try:
        subject, body = render_bilingual(f"orders/mail/{what}.txt", order=order, **context)
    except Exception:  # a template problem must not stop the order
        current_app.logger.exception("could not render %s mail", what)
        return
    send_after_commit(db.session(), Mail(order.contact_email, subject, body))
