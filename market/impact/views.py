"""Public impact pages (no login): /impact/<home_slug>, totals only, no elder named; and the
buyers' reviews: /reviews/lines/<line_id> (the buyer writes one, with up to 3 photos),
/reviews/photos/<id> (a photo, while its review is shown), /reviews/report."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from market import storage
from market.errors import render_error
from market.impact import page, report, reviews
from market.impact.forms import ReportForm, ReviewForm
from market.impact.records import ImpactError
from market.once import one_time
from market.uploads import UploadError, remove_stored, store_image
from models import Home, db
from models.impact import PHOTOS_PER_REVIEW

bp = Blueprint("impact", __name__)


@bp.get("/impact/<home_slug>")
def home(home_slug: str):
    found = db.session.scalar(select(Home).where(Home.slug == home_slug[:80], Home.status == "active"))
    if found is None:
        abort(404)
    figures = report.home_report(found.id)
    return render_template("impact/home.html", home=found, report=figures, charts=page.charts(figures),
                           source_label=page.source_label)


@bp.route("/reviews/lines/<int:line_id>", methods=["GET", "POST"])
@login_required
@one_time
def write_review(line_id: int):
    try:
        line = reviews.line_for_review(current_user, line_id)
    except ImpactError as error:
        return render_error(403, str(error))
    form = ReviewForm()
    error = None
    if form.validate_on_submit():
        root = storage.review_photos()
        stored = []
        try:
            files = [file for file in (form.photos.data or []) if file and file.filename]
            if len(files) > PHOTOS_PER_REVIEW:
                raise ImpactError(_("Please choose at most %(num)d photos.", num=PHOTOS_PER_REVIEW))
            for file in files:
                try:
                    stored.append(store_image(file, root=root,
                                              max_bytes=current_app.config["UPLOAD_MAX_BYTES"]))
                except UploadError as problem:
                    raise ImpactError(f"{file.filename}: {problem}") from None
            reviews.write_review(current_user, line.id, form.stars.data, form.text.data, stored)
        except BaseException as problem:
            for image in stored:  # nothing half-saved: the files go with the refused review
                remove_stored(root, image.path, image.thumb_path)
            if not isinstance(problem, ImpactError):
                raise
            error = str(problem)
        else:
            flash(_("Thank you for your review."), "success")
            return redirect(url_for("orders.detail", reference=line.order.reference))
    status = 400 if form.is_submitted() else 200
    return render_template("impact/review_form.html", line=line, form=form, error=error,
                           photos_at_most=PHOTOS_PER_REVIEW), status


@bp.get("/reviews/photos/<int:photo_id>")
def review_photo(photo_id: int, size: str = ""):
    """A review's photo (or its thumbnail), only while the review is shown."""
    photo = reviews.shown_photo(photo_id)
    if photo is None:
        abort(404)
    response = storage.review_photos().serve(photo.thumb_path if size else photo.path, max_age=300)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/reviews/photos/<int:photo_id>/small")
def review_photo_small(photo_id: int):
    return review_photo(photo_id, "small")


@bp.post("/reviews/report")
@login_required
@one_time
def report_review():
    form = ReportForm()
    if not form.validate_on_submit():
        return render_error(400)
    try:
        found = reviews.report(form.review.data, current_user, form.reason.data)
    except ImpactError as error:
        return render_error(409, str(error))
    flash(_("Thank you. The review was reported to the platform."), "success")
    target = request.form.get("next") or ""
    if not target.startswith("/listings/"):
        target = url_for("catalog.home", slug=_home_slug(found.home_id))
    return redirect(target)


def _home_slug(home_id: int) -> str:
    return db.session.scalar(select(Home.slug).where(Home.id == home_id))


@bp.app_template_global("listing_reviews")
def _listing_reviews(listing):
    return reviews.listing_reviews(listing)


@bp.app_template_global("review_lines")
def _review_lines(order):
    return reviews.reviewable_lines(order, current_user)


@bp.app_template_global("report_form")
def _report_form():
    return ReportForm()
