"""The cart: items a buyer picked, checked when added and priced again from the database.

Nothing in a cart is reserved; checkout (market/orders/checkout.py) reserves. Raw form values
are accepted and checked here; any problem raises BookingError with a translated message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from market import clock
from market.booking import service as booking
from market.booking.service import BookingError, Unavailable
from market.catalog.service import effective_care_bps, platform_fee_bps
from market.database import use_case
from market.i18n import localized
from market.ledger.allocation import AllocationError, split_line
from market.orders import shipping
from market.orders.shipping import Quote
from models import Elder, Home, Listing, Room, TourSession, db
from models.cart import CartItem
from models.catalog import GOODS


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
    left = booking.seats_left(tour_session, now)
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
    nights = booking.check_stay_dates(check_in, check_out, clock.local_today(now))
    if guests > room.max_guests:
        raise BookingError(_("This room sleeps at most %(num)d guests.", num=room.max_guests))
    taken = booking.booked_nights(room.id, nights, now) if look_up_nights else []
    if taken:
        raise Unavailable(_("Sorry, this room is already booked on %(dates)s.",
                             dates=", ".join(format_date(night, "long") for night in taken)))
    return room, nights


def _validate_goods(listing: Listing, quantity: int, now: datetime) -> None:
    if listing.kind not in GOODS:
        raise BookingError(_("That item does not exist."))
    left = booking.units_left(listing, now)
    if left is not None and left <= 0:
        raise Unavailable(_("Sorry, this item is sold out."))
    if left is not None and quantity > left:
        raise Unavailable(_("Only %(num)d left.", num=left))


@use_case
def add_to_cart(owner: str, listing_id, *, quantity=None, session_id=None, room_id=None,
                check_in=None, check_out=None, guests=None, now: datetime | None = None) -> CartItem:
    """Check an item the buyer picked and put it in the cart (nothing is reserved yet).

    Raw form values are accepted and checked here; any problem raises BookingError.
    """
    now = now or clock.now()
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
        _validate_goods(listing, total, now)
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


@use_case
def remove_from_cart(owner: str, item_id) -> None:
    try:
        item_id = int(item_id)
    except (TypeError, ValueError):
        return
    db.session.execute(delete(CartItem).where(CartItem.owner == owner, CartItem.id == item_id))
    db.session.commit()


@use_case
def set_quantity(owner: str, item_id, quantity, now: datetime | None = None) -> CartItem:
    """The buyer changes how many: seats of a tour, units of goods, guests of a stay (its nights
    are changed by removing it and choosing other dates). Checked as when it was added, against
    the seats, stock and room size there are now; BookingError (nothing changed) otherwise."""
    now = now or clock.now()
    try:
        item = db.session.get(CartItem, int(item_id))
    except (TypeError, ValueError):
        item = None
    if item is None or item.owner != owner:
        raise BookingError(_("That item is not in your cart any more."))
    listing = item.listing
    if listing.kind == "tour":
        seats = booking.parse_quantity(quantity, maximum=100)
        _validate_tour(listing, item.session_id, seats, now)
        item.quantity = seats
        item.seen_amount_fen = listing.price_fen * seats
    elif listing.kind == "homestay":
        guests = booking.parse_quantity(quantity, maximum=50)
        if item.room is not None and guests > item.room.max_guests:
            raise BookingError(_("This room sleeps at most %(num)d guests.", num=item.room.max_guests))
        item.guests = guests
    else:
        units = booking.parse_quantity(quantity)
        _validate_goods(listing, units, now)
        item.quantity = units
        item.seen_amount_fen = listing.price_fen * units
    db.session.commit()
    return item


@use_case
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


def line_rates(listing: Listing, tour_session: TourSession | None) -> tuple[int, int, Elder | None]:
    """(care share, elder incentive) in bps for a sale of `listing`, and the elder credited:
    the session's elder, else the listing's. Checkout copies these onto the order line."""
    elder = (tour_session.elder if tour_session is not None else None) or listing.elder
    return effective_care_bps(listing), elder.incentive_bps if elder is not None else 0, elder


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

    @property
    def rates(self) -> tuple[int, int, Elder | None]:
        return line_rates(self.listing, self.item.tour_session)

    @property
    def elder(self) -> Elder | None:
        return self.rates[2]

    @property
    def shares(self) -> dict[str, int] | None:
        """Where this line's money will go, in fen: exactly what the ledger books when the
        order is paid (the same `split_line` with the rates checkout copies onto the order
        line). None when the rates do not fit (checkout then refuses the line)."""
        care_bps, incentive_bps, _elder = self.rates
        try:
            return split_line(self.amount_fen, care_bps, incentive_bps, platform_fee_bps())
        except AllocationError:
            return None


@dataclass
class HomeGroup:
    """The lines of one home: they become one order, paid to that home. `shipping`: what sending
    its goods costs (one fee for the order, not per line); None when it has no goods or they
    are handed over at the home."""

    home: Home
    lines: list[ReviewLine]
    shipping: Quote | None = None

    @property
    def lines_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)

    @property
    def shipping_fen(self) -> int:
        return self.shipping.fee_fen if self.shipping is not None else 0

    @property
    def total_fen(self) -> int:
        return self.lines_fen + self.shipping_fen

    @property
    def has_goods(self) -> bool:
        return any(line.listing.kind in GOODS for line in self.lines)

    @property
    def care_fen(self) -> int:
        return sum((line.shares or {}).get("care", 0) for line in self.lines)

    @property
    def incentive_fen(self) -> int:
        return sum((line.shares or {}).get("incentive", 0) for line in self.lines)


@dataclass
class Review:
    lines: list[ReviewLine] = field(default_factory=list)
    # Where the goods go (priced by each home's shipping table); None: not chosen yet (each
    # home's default row is shown). `pickup`: handed over at the home, no shipping.
    province: str | None = None
    pickup: bool = False

    @property
    def lines_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)

    @property
    def shipping_fen(self) -> int:
        return sum(group.shipping_fen for group in self.by_home())

    @property
    def total_fen(self) -> int:
        """What the buyer pays: every line, and each home's shipping."""
        return self.lines_fen + self.shipping_fen

    @property
    def currency(self) -> str:
        return self.lines[0].listing.currency if self.lines else "CNY"

    @property
    def care_fen(self) -> int:
        """What the whole cart sends to care funds: the sum of each line's care share."""
        return sum((line.shares or {}).get("care", 0) for line in self.lines)

    @property
    def incentive_fen(self) -> int:
        return sum((line.shares or {}).get("incentive", 0) for line in self.lines)

    def by_home(self) -> list[HomeGroup]:
        """The lines grouped by home, in the order checkout makes the orders (by home id)."""
        groups: dict[int, HomeGroup] = {}
        for line in self.lines:
            home = line.listing.home
            groups.setdefault(home.id, HomeGroup(home, [])).lines.append(line)
        for group in groups.values():
            if group.has_goods and not self.pickup:
                group.shipping = shipping.quote(group.home.id, self.province)
        return [groups[key] for key in sorted(groups)]

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


def review_cart(owner: str, now: datetime | None = None, look_up_nights: bool = True,
                province: str | None = None, pickup: bool = False) -> Review:
    """The cart priced from the database now, each line checked again, goods shipped to
    `province` (see Review).

    Checkout passes look_up_nights=False: the unique room-night insert is the real check there."""
    now = now or clock.now()
    review = Review(province=province or None, pickup=pickup)
    for item in cart_items(owner):
        listing = item.listing
        line = ReviewLine(item, listing, localized(listing, "title"), listing.price_fen, item.quantity, 0)
        try:
            if listing.status != "published" or listing.home.status != "active":
                raise BookingError(_("This item is no longer offered."))
            if listing.currency != current_app.config["CURRENCY"]:  # one currency per market
                raise BookingError(_("This item is priced in another currency and cannot be bought "
                                     "here. Please contact the home."))
            if listing.kind == "tour":
                _validate_tour(listing, item.session_id, item.quantity, now)
            elif listing.kind == "homestay":
                room, nights = _validate_stay(listing, item.room_id, item.check_in, item.check_out,
                                              item.guests or 1, now, look_up_nights)
                line.unit_price_fen = room.nightly_price_fen
                line.quantity = len(nights)
            else:
                _validate_goods(listing, item.quantity, now)
        except BookingError as error:
            line.problem = str(error)
            line.unavailable = isinstance(error, Unavailable)
            if listing.kind == "homestay" and item.room is not None:
                line.unit_price_fen = item.room.nightly_price_fen
        line.amount_fen = line.unit_price_fen * line.quantity
        review.lines.append(line)
    return review
