"""Home staff console: thin views over listings.py, inventory.py and elders.py.

Access is decided once, before every view, by market.console (404 outside one's own home,
403 for a supervisor's write); rows named by id are looked up only inside that home.

The blueprint itself is in blueprint.py; the photo pages are in photo_views.py.
"""

from flask import (
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from market import clock
from market.i18n import is_english
from market.manage import (
    consent_views,  # noqa: F401  (registers the consent pages on the blueprint)
    inventory,
    listings,
    photo_views,  # noqa: F401  (registers the photo pages on the blueprint)
    room_calendar_views,  # noqa: F401  (the staff room calendar)
    service,
    shipping_views,  # noqa: F401  (the shipping table)
)
from market.manage import elders as elder_records
from market.manage.blueprint import _form_page, _listing, _with_field_error, bp
from market.manage.forms import (
    ElderForm,
    ListingForm,
    RoomForm,
    SessionForm,
)
from market.manage.publish_views import listing_input as _listing_input
from market.once import one_time
from models.catalog import KINDS
from models.catalog import LISTING_STATUSES as STATUSES

# ---- homes -------------------------------------------------------------------------------

@bp.get("/")
def index():
    return render_template("manage/index.html", memberships=service.memberships_of(current_user))


@bp.get("/<home_slug>/")
def home(home_slug: str):
    listings = service.home_listings(g.home)
    by_status = {status: [item for item in listings if item.status == status] for status in STATUSES}
    return render_template("manage/home.html", by_status=by_status, kinds=KINDS)


# ---- listings ----------------------------------------------------------------------------

def _listing_initial(listing) -> dict:
    return {
        "title_zh": listing.title_zh, "title_en": listing.title_en,
        "description_zh": listing.description_zh, "description_en": listing.description_en,
        "tags": listing.tags.replace(",", ", "), "price": listing.price_fen,
        "unit_zh": listing.unit_zh, "unit_en": listing.unit_en, "elder_id": listing.elder_id or 0,
        "care_share": listing.care_share_bps, "cancel_hours": listing.cancel_hours,
        "included_zh": listing.included_zh, "included_en": listing.included_en,
        "directions_zh": listing.directions_zh, "directions_en": listing.directions_en,
        "map_url": listing.map_url,
        "stock": listing.stock, "made_to_order": listing.made_to_order, "lead_days": listing.lead_days,
        "harvest_date": listing.harvest_date,
        "ships_to": [name for name in listing.ships_to.split(",") if name],
    }


def _listing_form(data=None, rooms_price: bool = False) -> ListingForm:
    form = ListingForm(data=data, elders=service.home_elders(g.home), english=is_english())
    if rooms_price:
        form.price.required = False
    return form


@bp.route("/<home_slug>/listings/new/<any(tour, homestay, produce, craft):kind>", methods=["GET", "POST"])
@one_time
def listing_new(home_slug: str, kind: str):
    form = _listing_form()
    if form.validate_on_submit():
        try:
            listing = listings.create_listing(g.home, kind, _listing_input(form))
        except service.ManageError as error:
            _with_field_error(form, error)
        else:
            flash(_("Saved as a draft. Publish it when it is ready."), "success")
            return redirect(url_for(".listing", home_slug=g.home.slug, listing_id=listing.id))
    return _form_page("manage/listing_form.html", form, kind=kind, listing=None)


@bp.get("/<home_slug>/listings/<int:listing_id>")
def listing(home_slug: str, listing_id: int):
    found = _listing(listing_id)
    return render_template(
        "manage/listing.html", listing=found, statuses=STATUSES,
        booked={session.id for session in found.sessions if inventory.session_has_bookings(session)},
        session_end=inventory.session_end,
    )


@bp.route("/<home_slug>/listings/<int:listing_id>/edit", methods=["GET", "POST"])
def listing_edit(home_slug: str, listing_id: int):
    found = _listing(listing_id)
    rooms_price = found.kind == "homestay" and any(room.active for room in found.rooms)
    form = _listing_form(None if request.method == "POST" else _listing_initial(found), rooms_price)
    if form.validate_on_submit():
        try:
            listings.update_listing(g.home, found, _listing_input(form))
        except service.ManageError as error:
            _with_field_error(form, error)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for(".listing", home_slug=g.home.slug, listing_id=found.id))
    return _form_page("manage/listing_form.html", form, kind=found.kind, listing=found,
                      rooms_price=rooms_price)


@bp.post("/<home_slug>/listings/<int:listing_id>/status")
def listing_status(home_slug: str, listing_id: int):
    found = _listing(listing_id)
    status = request.form.get("status", "")
    if status not in STATUSES:
        abort(400)
    try:
        listings.set_status(g.home, found, status)
    except service.ManageError as error:
        flash(str(error), "error")
    else:
        messages = {"published": _("Published: visitors can see it now."),
                    "archived": _("Archived: visitors no longer see it."),
                    "draft": _("Back to draft: visitors no longer see it.")}
        flash(messages[status], "success")
    return redirect(url_for(".listing", home_slug=g.home.slug, listing_id=found.id))


# ---- tour sessions -----------------------------------------------------------------------

def _session_input(form: SessionForm) -> inventory.SessionInput:
    return inventory.SessionInput(
        day=form.day.data, start=form.start.data, duration_minutes=form.duration_minutes.number,
        capacity=form.capacity.number, meeting_point_zh=form.meeting_point_zh.data or "",
        meeting_point_en=form.meeting_point_en.data or "", elder_id=form.elder_id.data or None,
    )


def _tour(listing_id: int):
    found = _listing(listing_id)
    if found.kind != "tour":
        abort(404)
    return found


@bp.route("/<home_slug>/listings/<int:listing_id>/sessions/new", methods=["GET", "POST"])
@one_time
def session_new(home_slug: str, listing_id: int):
    found = _tour(listing_id)
    initial = None
    if request.method != "POST":
        initial = {"duration_minutes": 120, "capacity": 12, "elder_id": found.elder_id or 0, "weeks": 1}
    form = SessionForm(data=initial, elders=service.home_elders(g.home), english=is_english())
    if form.validate_on_submit():
        try:
            added = inventory.add_weekly_sessions(g.home, found, _session_input(form), form.weeks.number)
        except service.ManageError as error:
            _with_field_error(form, error)
        else:
            flash(ngettext("%(num)d session added.", "%(num)d sessions added, one a week.", len(added)),
                  "success")
            return redirect(url_for(".listing", home_slug=g.home.slug, listing_id=found.id))
    return _form_page("manage/session_form.html", form, listing=found, session=None)


@bp.route("/<home_slug>/listings/<int:listing_id>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def session_edit(home_slug: str, listing_id: int, session_id: int):
    found = _tour(listing_id)
    session = service.session_in(g.home, found, session_id) or abort(404)
    initial = None
    if request.method != "POST":
        local = clock.local(session.starts_at, g.home)
        initial = {
            "day": local.date(), "start": local.time().replace(second=0, microsecond=0),
            "duration_minutes": session.duration_minutes, "capacity": session.capacity,
            "meeting_point_zh": session.meeting_point_zh, "meeting_point_en": session.meeting_point_en,
            "elder_id": session.elder_id or 0,
        }
    form = SessionForm(data=initial, elders=service.home_elders(g.home), english=is_english())
    if form.validate_on_submit():
        try:
            inventory.update_session(g.home, session, _session_input(form), actor=current_user,
                                     buyers_told=bool(form.buyers_told.data))
        except service.ManageError as error:
            _with_field_error(form, error)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for(".listing", home_slug=g.home.slug, listing_id=found.id))
    return _form_page("manage/session_form.html", form, listing=found, session=session,
                      has_bookings=inventory.session_has_bookings(session))


@bp.route("/<home_slug>/listings/<int:listing_id>/sessions/<int:session_id>/delete", methods=["GET", "POST"])
def session_delete(home_slug: str, listing_id: int, session_id: int):
    """Deleting asks first: a page that names the session, whose button sends `confirmed`."""
    found = _tour(listing_id)
    session = service.session_in(g.home, found, session_id) or abort(404)
    if request.form.get("confirmed") != "yes":
        return render_template("manage/session_delete.html", listing=found, session=session,
                               has_bookings=inventory.session_has_bookings(session),
                               session_end=inventory.session_end)
    try:
        inventory.delete_session(g.home, session)
    except service.ManageError as error:
        flash(str(error), "error")
    else:
        flash(_("Session deleted."), "success")
    return redirect(url_for(".listing", home_slug=g.home.slug, listing_id=found.id))


# ---- homestay rooms ----------------------------------------------------------------------

def _room_input(form: RoomForm) -> inventory.RoomInput:
    return inventory.RoomInput(
        name_zh=form.name_zh.data or "", name_en=form.name_en.data or "",
        nightly_price_fen=form.price.fen, max_guests=form.max_guests.number,
        amenities_zh=form.amenities_zh.data or "", amenities_en=form.amenities_en.data or "",
        active=bool(form.active.data),
    )


def _homestay(listing_id: int):
    found = _listing(listing_id)
    if found.kind != "homestay":
        abort(404)
    return found


@bp.route("/<home_slug>/listings/<int:listing_id>/rooms/new", methods=["GET", "POST"])
@one_time
def room_new(home_slug: str, listing_id: int):
    found = _homestay(listing_id)
    form = RoomForm(data=None if request.method == "POST" else {"max_guests": 2, "active": True})
    if form.validate_on_submit():
        try:
            inventory.add_room(g.home, found, _room_input(form))
        except service.ManageError as error:
            _with_field_error(form, error)
        else:
            flash(_("Room added."), "success")
            return redirect(url_for(".listing", home_slug=g.home.slug, listing_id=found.id))
    return _form_page("manage/room_form.html", form, listing=found, room=None)


@bp.route("/<home_slug>/listings/<int:listing_id>/rooms/<int:room_id>/edit", methods=["GET", "POST"])
def room_edit(home_slug: str, listing_id: int, room_id: int):
    found = _homestay(listing_id)
    room = service.room_in(g.home, found, room_id) or abort(404)
    initial = None
    if request.method != "POST":
        initial = {"name_zh": room.name_zh, "name_en": room.name_en, "price": room.nightly_price_fen,
                   "max_guests": room.max_guests, "amenities_zh": room.amenities_zh,
                   "amenities_en": room.amenities_en, "active": room.active}
    form = RoomForm(data=initial)
    if form.validate_on_submit():
        try:
            inventory.update_room(g.home, room, _room_input(form))
        except service.ManageError as error:
            _with_field_error(form, error)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for(".listing", home_slug=g.home.slug, listing_id=found.id))
    return _form_page("manage/room_form.html", form, listing=found, room=room)


# ---- elders ------------------------------------------------------------------------------

def _elder_input(form: ElderForm) -> elder_records.ElderInput:
    return elder_records.ElderInput(
        display_name_zh=form.display_name_zh.data or "", display_name_en=form.display_name_en.data or "",
        role=form.role.data, bio_zh=form.bio_zh.data or "", bio_en=form.bio_en.data or "",
        incentive_bps=form.incentive.bps or 0,
    )


@bp.get("/<home_slug>/elders")
def elders(home_slug: str):
    return render_template("manage/elders.html", elders=service.home_elders(g.home))


@bp.route("/<home_slug>/elders/new", methods=["GET", "POST"])
@one_time
def elder_new(home_slug: str):
    form = ElderForm()
    if form.validate_on_submit():
        try:
            elder_records.create_elder(g.home, _elder_input(form))
        except service.ManageError as error:
            _with_field_error(form, error)
        else:
            flash(_("Elder added."), "success")
            return redirect(url_for(".elders", home_slug=g.home.slug))
    return _form_page("manage/elder_form.html", form, elder=None)


@bp.route("/<home_slug>/elders/<int:elder_id>/edit", methods=["GET", "POST"])
def elder_edit(home_slug: str, elder_id: int):
    elder = service.elder_in(g.home, elder_id) or abort(404)
    initial = None
    if request.method != "POST":
        initial = {"display_name_zh": elder.display_name_zh, "display_name_en": elder.display_name_en,
                   "role": elder.role, "bio_zh": elder.bio_zh, "bio_en": elder.bio_en,
                   "incentive": elder.incentive_bps}
    form = ElderForm(data=initial)
    if form.validate_on_submit():
        try:
            elder_records.update_elder(g.home, elder, _elder_input(form))
        except service.ManageError as error:
            _with_field_error(form, error)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for(".elders", home_slug=g.home.slug))
    return _form_page("manage/elder_form.html", form, elder=elder)
