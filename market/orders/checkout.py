"""Checkout: the cart becomes orders (one per home), everything reserved at once or nothing.

The buyer's contact and shipping address are checked here; what is reserved and released is
decided by market/booking. The checkout form's token makes a re-sent form return the same
orders, to the owner of the cart it emptied only.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from market import clock
from market.booking import service as booking
from market.catalog.service import platform_fee_bps
from market.database import use_case
from market.ledger.allocation import rates_fit
from market.notify.service import apply_order_placed
from market.orders.cart import Review, review_cart
from market.orders.emails import queue_mail
from market.orders.errors import OrderError, PriceChanged, SoldOut
from market.orders.lifecycle import release_ended_holds, reservation_order, reserve_line
from market.orders.tokens import is_form_token
from market.payments.providers import enabled_providers, get_provider
from models import Order, OrderEvent, OrderLine, db
from models.cart import CartItem
from models.orders import OrderStatus

PHONE = re.compile(r"^(?:1[3-9]\d{9}|\+\d{6,15})$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
REF_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


@dataclass
class Contact:
    name: str
    phone: str
    email: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    street: str | None = None
    pickup: bool = False  # goods handed over at the home (a walk-in buyer): no shipping address


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
    if review.needs_shipping and not contact.pickup:
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


def orders_for_token(token: str, owner: str | None) -> list[Order]:
    """The orders one checkout form made, for the owner of the cart it emptied only."""
    if not owner or not is_form_token(token):
        return []
    return list(db.session.scalars(
        select(Order).where(Order.checkout_token == token, Order.cart_owner == owner)
        .options(selectinload(Order.lines)).order_by(Order.id)))


def _hold_minutes(provider_name: str) -> int:
    return get_provider(provider_name).hold_for(current_app)


@use_case
def checkout(owner: str, contact: Contact, token: str, expected_total_fen, *, user_id: int | None = None,
             provider_name: str = "offline", locale: str = "zh_Hans",
             now: datetime | None = None) -> list[Order]:
    """Turn the cart into orders (one per home), reserving everything at once or nothing.

    The same `token` (one per checkout form) always gives the same orders back, however often
    the form is sent: a second submission finds the cart empty and the orders made, or (when
    both run at once) hits the unique idempotency_token and then finds the first one's orders.
    Raises OrderError / SoldOut / PriceChanged, with nothing changed.
    """
    now = now or clock.now()
    if not is_form_token(token):
        raise OrderError(_("The form expired. Please reload the page and try again."))
    if provider_name not in enabled_providers(current_app):
        raise OrderError(_("Please choose a way to pay."))
    release_ended_holds(now)  # what ended holds keep is free on the pages: give it back first
    # Shipping is priced for the address given: another province is another total, which the
    # expected-total guard below shows the buyer again before anything is charged.
    review = review_cart(owner, now, look_up_nights=False, province=(contact.province or "").strip(),
                         pickup=contact.pickup)
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
        care_bps, incentive_bps, _elder = line.rates
        if not rates_fit(care_bps, incentive_bps, fee_bps):
            current_app.logger.error("listing %s: rates %s+%s+%s bps exceed 100%%", line.listing.id,
                                     care_bps, incentive_bps, fee_bps)
            raise OrderError(_("“%(title)s” cannot be bought at the moment. Please remove it from your "
                               "cart.", title=line.title))
    hold = now + timedelta(minutes=_hold_minutes(provider_name))
    orders: list[Order] = []
    to_reserve: list[tuple[OrderLine, list[date], str]] = []
    ships = review.needs_shipping and not contact.pickup
    for index, group in enumerate(review.by_home(), start=1):
        home_id, lines = group.home.id, group.lines
        home_goods = group.has_goods
        order = Order(
            reference=_new_reference(), idempotency_token=f"{token}:{index}", checkout_token=token,
            cart_owner=owner, user_id=user_id,
            home_id=home_id, status=OrderStatus.PENDING_PAYMENT, provider=provider_name,
            total_fen=group.total_fen, currency=review.currency, shipping_fen=group.shipping_fen,
            shipping_days=(group.shipping.days_text or None) if group.shipping else None,
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
            care_bps, incentive_bps, elder = line.rates
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
        order.events.append(OrderEvent(from_status=None, to_status=OrderStatus.PENDING_PAYMENT,
                                       actor_id=user_id, actor_kind="customer", reason="checkout",
                                       created_at=now))
        db.session.add(order)
        orders.append(order)
    try:
        db.session.flush()
        gone = [title for line, nights, title in sorted(to_reserve, key=lambda t: reservation_order(t[0]))
                if not reserve_line(line, nights, now)]
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
        queue_mail(order, "placed")
        apply_order_placed(order)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        again = orders_for_token(token, owner)
        if again:
            return again
        raise
    return orders
