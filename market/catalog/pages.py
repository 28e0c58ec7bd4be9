"""What a listing's page shows, for the catalogue's own view and for the cart's refusal (an
add-to-cart refused — a taken night, bad dates, too many seats — shows the listing page again
with the message, so the buyer corrects the choice where it was made)."""

from __future__ import annotations

from market import clock
from market.catalog import service
from market.orders import shipping
from market.provinces import PROVINCE_NAMES, province_name
from models import Listing
from models.catalog import GOODS


def listing_page(listing: Listing, ship_province: str | None = None) -> dict:
    """The template context of `catalog/listing.html` for `listing`; goods priced for shipping
    to `ship_province` (one of market/provinces.py, or None: the home's default row)."""
    sessions = service.upcoming_sessions(listing) if listing.kind == "tour" else []
    rooms = service.active_rooms(listing) if listing.kind == "homestay" else []
    goods = listing.kind in GOODS
    ship_province = ship_province if ship_province in PROVINCE_NAMES else None
    return {
        "ship_province": ship_province,
        "ship_quote": shipping.quote(listing.home_id, ship_province) if goods else None,
        "ship_default": shipping.default_quote(listing.home_id) if goods else None,
        "ship_choices": [(zh, province_name(zh)) for zh in PROVINCE_NAMES] if goods else [],
        "listing": listing,
        "elder": service.credited_elder(listing),
        "sessions": sessions, "seats_left": service.seats_left(sessions),
        "facts": service.traveller_facts(listing, sessions),
        "rooms": rooms,
        "calendars": service.room_calendars(rooms, clock.local_today()) if rooms else {},
        "stock_left": service.stock_left(listing),
    }
