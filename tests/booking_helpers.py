"""Helpers shared by the booking, checkout and orders tests."""

from datetime import timedelta

from sqlalchemy import func, select

from market.clock import local_today
from market.orders import cart as carts
from market.orders import checkout as checkouts
from market.orders import tokens
from models import Listing, OrderLine, RoomNight, TourSession, db, utcnow

CONTACT = checkouts.Contact(name="李明", phone="13812345678", email="li@example.com",
                          province="北京市", city="北京市", district="朝阳区", street="幸福路1号")


def stay_dates(days_ahead: int = 10, nights: int = 2):
    start = local_today(utcnow()) + timedelta(days=days_ahead)
    return start, start + timedelta(days=nights)


def check_out(owner: str) -> list:
    """Check out `owner`'s cart at the total it shows."""
    total = carts.review_cart(owner).total_fen
    return checkouts.checkout(owner, CONTACT, tokens.new_form_token(), total)


def buy(owner: str, **item) -> list:
    """Put one item in `owner`'s cart and check out at the shown total."""
    carts.add_to_cart(owner, **item)
    return check_out(owner)


def live_seats(session_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .where(OrderLine.session_id == session_id, OrderLine.holds_inventory.is_(True))) or 0


def live_units(listing_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .where(OrderLine.listing_id == listing_id, OrderLine.holds_inventory.is_(True))) or 0


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def counters(session_id=None, listing_id=None):
    db.session.expire_all()
    result = {}
    if session_id:
        result["session"] = db.session.get(TourSession, session_id)
    if listing_id:
        result["listing"] = db.session.get(Listing, listing_id)
    result["nights"] = db.session.scalar(select(func.count(RoomNight.id)))
    return result
