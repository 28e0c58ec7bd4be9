"""Walk-in and telephone orders: home staff take an order for a buyer without an account (a
name and a phone number), for goods, seats or nights of their own home only, paid offline (in
cash now, recorded as paid by that staff member, or waiting), with a receipt to print.

Nothing is reserved here: the item goes into a cart of its own ("walkin:<form token>") through
`cart.add_to_cart`, which checks it as for any buyer, and `checkout.checkout` reserves and makes
the order exactly as for a buyer; `lifecycle.mark_paid_offline` records the cash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, select

from market import clock
from market.booking.service import BookingError, seats_left_of, units_left
from market.database import use_case
from market.money import minor_to_major_text
from market.orders import fulfilment
from market.orders.cart import add_to_cart, review_cart
from market.orders.checkout import Contact, checkout
from market.orders.errors import OrderError
from market.orders.lifecycle import mark_paid_offline
from models import Home, Listing, Order, OrderEvent, Room, TourSession, db
from models.cart import CartItem
from models.catalog import GOODS

SESSION_DAYS = 60  # sessions offered: those of the coming two months
REASON = "walk-in"


@dataclass
class WalkIn:
    choice: str  # "g:<listing id>", "s:<session id>" or "r:<room id>"
    quantity: str  # units, seats, or guests of a stay
    name: str
    phone: str
    paid_now: bool
    check_in: str = ""
    check_out: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    street: str = ""


def choices(home: Home, now: datetime | None = None) -> list[tuple[str, str, str]]:
    """What staff can sell: (value, kind, label) for the home's published goods still in stock,
    its tours' coming sessions with seats left, and its homestays' open rooms."""
    now = now or clock.now()
    listings = list(db.session.scalars(select(Listing).where(
        Listing.home_id == home.id, Listing.status == "published").order_by(Listing.kind, Listing.id)))
    by_id = {listing.id: listing for listing in listings}
    result = []
    for listing in listings:
        if listing.kind in GOODS and units_left(listing, now) != 0:
            result.append((f"g:{listing.id}", listing.kind, listing))
    sessions = list(db.session.scalars(select(TourSession).where(
        TourSession.listing_id.in_(list(by_id)), TourSession.starts_at > now,
        TourSession.starts_at < now + timedelta(days=SESSION_DAYS)).order_by(TourSession.starts_at)))
    left = seats_left_of(sessions, now)
    result += [(f"s:{s.id}", "tour", s) for s in sessions if left.get(s.id)]
    rooms = db.session.scalars(select(Room).where(Room.listing_id.in_(list(by_id)), Room.active.is_(True))
                               .order_by(Room.listing_id, Room.id))
    result += [(f"r:{room.id}", "homestay", room) for room in rooms]
    return result


def _item(home: Home, data: WalkIn) -> dict:
    """The cart fields of the chosen item, refused unless it is this home's."""
    kind, _sep, number = (data.choice or "").partition(":")
    row = None
    if number.isdigit() and len(number) < 10:
        model = {"g": Listing, "s": TourSession, "r": Room}.get(kind)
        row = db.session.get(model, int(number)) if model else None
    listing = row if isinstance(row, Listing) else getattr(row, "listing", None)
    if listing is None or listing.home_id != home.id:
        raise OrderError(_("Please choose one of the items shown."))
    if kind == "g":
        return {"listing_id": listing.id, "quantity": data.quantity}
    if kind == "s":
        return {"listing_id": listing.id, "session_id": row.id, "quantity": data.quantity}
    return {"listing_id": listing.id, "room_id": row.id, "check_in": data.check_in,
            "check_out": data.check_out, "guests": data.quantity}


@use_case
def _forget_cart(owner: str) -> None:
    db.session.execute(delete(CartItem).where(CartItem.owner == owner))
    db.session.commit()


def take(home: Home, data: WalkIn, *, actor, token: str, locale: str = "zh_Hans",
         now: datetime | None = None) -> Order:
    """Make the order (reserved as a buyer's checkout), then record the cash when paid now.
    OrderError / SoldOut / BookingError (as OrderError) with nothing ordered when refused."""
    now = now or clock.now()
    item = _item(home, data)
    address = (data.province, data.city, data.district, data.street)
    contact = Contact(name=data.name or "", phone=data.phone or "", province=data.province,
                      city=data.city, district=data.district, street=data.street,
                      pickup=not any((part or "").strip() for part in address))
    owner = f"walkin:{token}"
    try:
        add_to_cart(owner, item.pop("listing_id"), now=now, **item)
        # Priced as checkout prices it: goods sent to the address pay the home's shipping.
        province = (contact.province or "").strip()
        total = review_cart(owner, now, province=province, pickup=contact.pickup).total_fen
        [order] = checkout(owner, contact, token, total, provider_name="offline", locale=locale, now=now)
    except BookingError as error:
        _forget_cart(owner)
        raise OrderError(str(error)) from None
    except Exception:
        _forget_cart(owner)
        raise
    _record(order, actor, data.paid_now, contact.pickup, now)
    return order


@use_case
def _record(order: Order, actor, paid_now: bool, pickup: bool, now: datetime) -> None:
    order.events.append(OrderEvent(from_status=order.status, to_status=order.status, actor_id=actor.id,
                                   actor_kind="staff", reason=REASON, created_at=now))
    if not paid_now:
        db.session.commit()
        return
    mark_paid_offline(order, actor=actor, method="cash", amount_text=minor_to_major_text(order.total_fen),
                      now=now)
    if pickup and any(line.kind in GOODS for line in order.lines):
        fulfilment.apply_hand_over(order, actor, now)
        db.session.commit()


def received(order: Order) -> list[tuple]:
    """The payments the home received for the order: (payment, the staff member who recorded it)."""
    from models import Payment, User

    rows = db.session.execute(
        select(Payment, User).outerjoin(User, User.id == Payment.recorded_by_id)
        .where(Payment.order_id == order.id, Payment.status == "succeeded").order_by(Payment.id))
    return [(payment, user) for payment, user in rows]
