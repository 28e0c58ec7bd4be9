"""Publishing in one guided flow (console pages): one form with the listing, its photos and, by
kind, its weekly sessions, rooms or stock → a draft saved all at once → the preview, the page as
buyers will see it → "Publish". A refused form saves nothing and keeps no uploaded file.
Routes on the console's blueprint (blueprint.py), so access is decided there, before every view."""

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from market import clock
from market.catalog import service as catalog
from market.i18n import is_english
from market.manage import inventory, listings, publishing, service
from market.manage.blueprint import _form_page, _listing, _with_field_error, bp
from market.manage.forms import ListingForm, PublishForm
from market.once import one_time
from market.uploads import UploadError, remove_stored, store_image

DEFAULTS = {"duration_minutes": 120, "capacity": 12, "weeks": 8, "cover": 1,
            "rooms": [{"max_guests": 2}, {"max_guests": 2}, {"max_guests": 2}]}


def listing_input(form: ListingForm) -> listings.ListingInput:
    return listings.ListingInput(
        title_zh=form.title_zh.data or "",
        title_en=form.title_en.data or "",
        description_zh=form.description_zh.data or "",
        description_en=form.description_en.data or "",
        tags=form.tags.data or "",
        price_fen=form.price.fen,
        unit_zh=form.unit_zh.data or "",
        unit_en=form.unit_en.data or "",
        elder_id=form.elder_id.data or None,
        care_share_bps=form.care_share.bps,
        cancel_hours=form.cancel_hours.number,
        included_zh=form.included_zh.data or "", included_en=form.included_en.data or "",
        directions_zh=form.directions_zh.data or "", directions_en=form.directions_en.data or "",
        map_url=form.map_url.data or "",
        stock=form.stock.number,
        made_to_order=bool(form.made_to_order.data),
        lead_days=form.lead_days.number,
        harvest_date=form.harvest_date.data,
        ships_to=list(form.ships_to.data or []),
    )


def _session_input(form: PublishForm) -> inventory.SessionInput | None:
    """The first session, or None when its fields are all left empty (sessions added later)."""
    if not any((form.day.data, form.start.data, form.meeting_point_zh.data, form.meeting_point_en.data)):
        return None
    return inventory.SessionInput(
        day=form.day.data, start=form.start.data, duration_minutes=form.duration_minutes.number,
        capacity=form.capacity.number, meeting_point_zh=form.meeting_point_zh.data or "",
        meeting_point_en=form.meeting_point_en.data or "")


def _rooms(form: PublishForm) -> list[inventory.RoomInput]:
    return [inventory.RoomInput(name_zh=row.form.name_zh.data or "", name_en=row.form.name_en.data or "",
                                nightly_price_fen=row.form.price.fen, max_guests=row.form.max_guests.number)
            for row in form.rooms if not row.form.is_empty]


def _draft(form: PublishForm, kind: str) -> publishing.Draft:
    return publishing.Draft(kind=kind, listing=listing_input(form),
                            session=_session_input(form) if kind == "tour" else None,
                            weeks=form.weeks.number, rooms=_rooms(form) if kind == "homestay" else [],
                            cover=form.cover.number, alt_zh=form.alt_zh.data or "",
                            alt_en=form.alt_en.data or "")


def _store_photos(form: PublishForm) -> list | None:
    """Store every chosen photo; None (and no file kept) when one is refused or too many."""
    config = current_app.config
    files = [file for file in (form.photo.data or []) if file]
    if len(files) > listings.PHOTOS_AT_ONCE:
        form.photo.errors.append(_("Please choose at most %(num)d photos at a time.",
                                   num=listings.PHOTOS_AT_ONCE))
        return None
    stored = []
    for file in files:
        try:
            stored.append(store_image(file, root=config["UPLOAD_ROOT"], max_bytes=config["UPLOAD_MAX_BYTES"]))
        except UploadError as error:
            form.photo.errors.append(f"{file.filename or '?'}: {error}")
            _forget(stored)
            return None
        except BaseException:
            _forget(stored)
            raise
    return stored


def _forget(stored: list) -> None:
    for image in stored:
        remove_stored(current_app.config["UPLOAD_ROOT"], image.path, image.thumb_path)


@bp.route("/<home_slug>/publish/<any(tour, homestay, produce, craft):kind>", methods=["GET", "POST"])
@one_time
def publish_new(home_slug: str, kind: str):
    """The guided form: what it is, photos, then sessions, rooms or stock; "Preview" saves a draft."""
    form = PublishForm(data=None if request.method == "POST" else DEFAULTS,
                       elders=service.home_elders(g.home), english=is_english())
    if kind == "homestay":
        form.price.required = False  # the rooms' lowest price, unless given
    if form.validate_on_submit():
        stored = _store_photos(form)
        if stored is not None:
            try:
                listing = publishing.create_draft(g.home, _draft(form, kind), stored)
            except service.ManageError as error:
                _forget(stored)
                _with_field_error(form, error)
            except BaseException:
                _forget(stored)
                raise
            else:
                flash(_("Saved as a draft. Check the preview, then publish."), "success")
                return redirect(url_for(".listing_preview", home_slug=g.home.slug, listing_id=listing.id))
    page, status = _form_page("manage/publish_form.html", form, kind=kind,
                              photos_at_once=listings.PHOTOS_AT_ONCE,
                              upload_mb=current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024))
    return page, 400 if request.method == "POST" else status  # a form sent back is always refused


@bp.get("/<home_slug>/listings/<int:listing_id>/preview")
def listing_preview(home_slug: str, listing_id: int):
    """The listing's page as buyers will see it (booking shown but switched off), with "Publish"."""
    found = _listing(listing_id)
    sessions = catalog.upcoming_sessions(found) if found.kind == "tour" else []
    rooms = catalog.active_rooms(found) if found.kind == "homestay" else []
    return render_template(
        "catalog/listing.html", preview=True, listing=found, elder=catalog.credited_elder(found),
        sessions=sessions, seats_left=catalog.seats_left(sessions),
        facts=catalog.traveller_facts(found, sessions), rooms=rooms,
        calendars=catalog.room_calendars(rooms, clock.local_today()) if rooms else {},
        stock_left=catalog.stock_left(found))
