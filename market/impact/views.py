"""Public impact pages (no login): /impact/<home_slug>, totals only, no elder named; and the
buyers' reviews: /reviews/lines/<line_id> (the buyer writes one), /reviews/report."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from market.errors import render_error
from market.impact import page, report, reviews
from market.impact.forms import ReportForm, ReviewForm
from market.impact.records import ImpactError
from market.once import one_time
from models import Home, db

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
        try:
            reviews.write_review(current_user, line.id, form.stars.data, form.text.data)
        except ImpactError as problem:
            error = str(problem)
        else:
            flash(_("Thank you for your review."), "success")
            return redirect(url_for("orders.detail", reference=line.order.reference))
    status = 400 if form.is_submitted() else 200
    return render_template("impact/review_form.html", line=line, form=form, error=error), status


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
