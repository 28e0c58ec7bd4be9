"""The staff console's blueprint: access decided once before every view (market.console), the
names every console template uses, and the lookup of a listing inside the home."""

from flask import Blueprint, abort, g

from market.console import enter_home_console
from market.manage import service
from market.money import minor_to_major_text

bp = Blueprint("manage", __name__, url_prefix="/manage")

bp.before_request(enter_home_console)


@bp.context_processor
def _console_globals():
    return {
        "home": g.get("home"),
        "can_edit": g.get("can_edit", False),
        "minor_to_major_text": minor_to_major_text,
    }


# ---- lookups inside g.home -------------------------------------------------------------

def _listing(listing_id: int):
    return service.listing_in(g.home, listing_id) or abort(404)
