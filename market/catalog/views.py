from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from market.accounts.service import set_locale
from market.catalog import service
from market.catalog.pages import listing_page
from market.database import writing
from market.i18n import remember_language
from market.orders import shipping
from market.redirects import local_path
from models import db
from models.catalog import KINDS

bp = Blueprint("catalog", __name__)


@bp.get("/")
def index():
    return render_template(
        "catalog/index.html",
        homes=service.featured_homes(),
        featured=service.featured_by_kind(),
    )


@bp.get("/browse")
@bp.get("/kind/<kind>")
def browse(kind: str | None = None):
    kind = kind or request.args.get("kind") or None
    if kind is not None and kind not in KINDS:
        abort(404)
    province, county = _place(request.args.get("province"), request.args.get("county"))
    filters = service.BrowseFilter(kind=kind, province=province, county=county,
                                   home_slug=request.args.get("home") or None)
    page = request.args.get("page", 1, type=int) or 1
    if page < 1 or page > 100_000:
        abort(404)
    after = request.args.get("after", type=int)
    result = service.browse(filters, page=page, after=after if after and after > 0 else None)
    return render_template(
        "catalog/browse.html", result=result, filters=filters, regions=service.regions()
    )


def _place(province: str | None, county: str | None) -> tuple[str | None, str | None]:
    """The browse form's county choices read "province/county" (a county on its own is
    still understood); the county's own province wins over the province list."""
    if county and "/" in county:
        province, county = county.split("/", 1)
    return province or None, county or None


@bp.get("/homes/<slug>")
def home(slug: str):
    found = service.home_by_slug(slug) or abort(404)
    return render_template(
        "catalog/home.html",
        home=found,
        elders=service.public_elders(found),
        listings=service.home_listings(found),
    )


@bp.get("/listings/<slug>")
def listing(slug: str):
    found = service.listing_by_slug(slug) or abort(404)
    province = request.args.get("province") or (
        shipping.last_province(current_user.id) if current_user.is_authenticated else None)
    return render_template("catalog/listing.html", **listing_page(found, ship_province=province))


@bp.route("/lang/<code>", methods=["GET", "POST"])
def set_language(code: str):
    """The language of this device (a cookie). A GET writes nothing else: links are followed by
    crawlers and link previews. A signed-in person's switch is a POST (the header's button), which
    also saves it on the account, so mail and a new browser follow it."""
    from flask import current_app

    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    target = local_path(request.values.get("next"), url_for("catalog.index"))
    response = make_response(redirect(target, code=303 if request.method == "POST" else 302))
    remember_language(response, code)
    if request.method == "POST" and current_user.is_authenticated and current_user.locale != code:
        with writing(db.session):
            set_locale(current_user, code)
    return response


@bp.get("/media/<path:path>")
def media(path: str):
    """Uploaded photos (re-encoded on upload, so safe to serve as they are), from local disk or
    the shared object store (market/storage.py)."""
    from market import storage

    return storage.uploads().serve(path, max_age=86400)
