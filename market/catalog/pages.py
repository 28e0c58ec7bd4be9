"""What a listing's page shows, for the catalogue's own view and for the cart's refusal (an
add-to-cart refused — a taken night, bad dates, too many seats — shows the listing page again
with the message, so the buyer corrects the choice where it was made)."""

from __future__ import annotations

from market import clock
from market.catalog import service
from models import Listing


def listing_page(listing: Listing) -> dict:
    """The template context of `catalog/listing.html` for `listing`."""
    sessions = service.upcoming_sessions(listing) if listing.kind == "tour" else []
    rooms = service.active_rooms(listing) if listing.kind == "homestay" else []
    return {
        "listing": listing,
        "elder": service.credited_elder(listing),
        "sessions": sessions, "seats_left": service.seats_left(sessions),
        "facts": service.traveller_facts(listing, sessions),
        "rooms": rooms,
        "calendars": service.room_calendars(rooms, clock.local_today()) if rooms else {},
        "stock_left": service.stock_left(listing),
    }
