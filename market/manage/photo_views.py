"""Photos of a home and of its listings in the staff console: several at once, the one shown
first, removing one (which asks first). Routes on the console's blueprint (blueprint.py),
so access is decided there, before every view."""

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from market import storage
from market.manage import listings, service
from market.manage.blueprint import _listing, bp
from market.manage.forms import PhotoForm
from market.uploads import UploadError, remove_stored, store_image


def _photos_url(listing_id: int | None) -> str:
    """The photos page a photo belongs to: its listing's, or the home's."""
    if listing_id:
        return url_for("manage.listing_photos", home_slug=g.home.slug, listing_id=listing_id)
    return url_for("manage.home_photos", home_slug=g.home.slug)


def _upload(form: PhotoForm, listing=None) -> int:
    """Store every chosen photo, then record them together: one bad file adds none (its name
    is in the message). Returns how many were added, 0 when refused."""
    config = current_app.config
    files = [file for file in form.photo.data if file]
    if len(files) > listings.PHOTOS_AT_ONCE:
        form.photo.errors.append(_("Please choose at most %(num)d photos at a time.",
                                   num=listings.PHOTOS_AT_ONCE))
        return 0
    stored = []
    try:
        for file in files:
            try:
                stored.append(store_image(file, root=storage.uploads(),
                                          max_bytes=config["UPLOAD_MAX_BYTES"]))
            except UploadError as error:
                form.photo.errors.append(f"{file.filename or '?'}: {error}")
                raise
        listings.add_photos(g.home, stored, listing=listing, alt_zh=form.alt_zh.data or "",
                            alt_en=form.alt_en.data or "")
    except BaseException as error:
        for image in stored:
            remove_stored(storage.uploads(), image.path, image.thumb_path)
        if isinstance(error, UploadError):
            return 0
        raise
    return len(stored)


def _photos_page(form: PhotoForm, listing=None):
    photos = listing.photos if listing is not None else service.home_photos(g.home)
    status = 400 if form.errors else 200
    return render_template("manage/photos.html", form=form, listing=listing, photos=photos,
                           photos_at_once=listings.PHOTOS_AT_ONCE,
                           upload_mb=current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024)), status


@bp.route("/<home_slug>/photos", methods=["GET", "POST"])
def home_photos(home_slug: str):
    form = PhotoForm()
    if form.validate_on_submit() and (added := _upload(form)):
        flash(ngettext("%(num)d photo added.", "%(num)d photos added.", added), "success")
        return redirect(url_for(".home_photos", home_slug=g.home.slug))
    return _photos_page(form)


@bp.route("/<home_slug>/listings/<int:listing_id>/photos", methods=["GET", "POST"])
def listing_photos(home_slug: str, listing_id: int):
    found = _listing(listing_id)
    form = PhotoForm()
    if form.validate_on_submit() and (added := _upload(form, found)):
        flash(ngettext("%(num)d photo added.", "%(num)d photos added.", added), "success")
        return redirect(url_for(".listing_photos", home_slug=g.home.slug, listing_id=found.id))
    return _photos_page(form, found)


@bp.post("/<home_slug>/photos/<int:photo_id>/cover")
def photo_cover(home_slug: str, photo_id: int):
    """Show this photo first: on cards, search results and at the top of its page."""
    photo = service.photo_in(g.home, photo_id) or abort(404)
    listings.make_cover(g.home, photo)
    flash(_("This photo now comes first."), "success")
    return redirect(_photos_url(photo.listing_id))


@bp.post("/<home_slug>/photos/<int:photo_id>/delete")
def photo_delete(home_slug: str, photo_id: int):
    """Removing asks first: the photos page's button shows the photo again, whose button sends
    `confirmed`."""
    photo = service.photo_in(g.home, photo_id) or abort(404)
    if request.form.get("confirmed") != "yes":
        return render_template("manage/photo_delete.html", photo=photo)
    listing_id = photo.listing_id
    listings.remove_photo(g.home, photo, storage.uploads())
    flash(_("Photo removed."), "success")
    return redirect(_photos_url(listing_id))
