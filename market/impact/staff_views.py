"""The impact part of a home's console: /manage/<home_slug>/impact/…

Access as every console page (market.console): members of the home only (others 404),
supervisors read, staff write. Rows named in a form are looked up inside g.home only.
"""

from datetime import timedelta

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market import clock
from market.console import enter_home_console
from market.errors import render_error
from market.fund.service import status_label
from market.impact import dashboards, page, records, register_import, reviews, surveys
from market.impact.forms import (
    RegisterImportForm,
    ReplyForm,
    ResidentActiveForm,
    ResidentForm,
    SurveyForm,
    TapForm,
)
from market.impact.records import ImpactError
from market.once import one_time
from models.impact import SERVICE_KINDS

bp = Blueprint("impact_manage", __name__, url_prefix="/manage/<home_slug>/impact")
bp.before_request(enter_home_console)


@bp.context_processor
def _console_globals():
    return {"home": g.get("home"), "can_edit": g.get("can_edit", False), "service_kinds": SERVICE_KINDS}


def _sheet_day():
    today = clock.local_today()
    day = records.parse_day(request.args.get("day"))
    if day is None or day > today or day < records.OLDEST_DAY:
        return today
    return day


@bp.get("/")
def sheet(home_slug: str):
    day = _sheet_day()
    today = clock.local_today()
    return render_template(
        "impact/manage/sheet.html", sheet=records.day_sheet(g.home.id, day), today=today,
        previous=day - timedelta(days=1), following=day + timedelta(days=1) if day < today else None,
        form=TapForm(),
    )


@bp.post("/tap")
@one_time
def tap(home_slug: str):
    form = TapForm()
    if not form.validate_on_submit():
        return render_error(400)
    day = records.parse_day(form.day.data)
    try:
        if form.action.data == "undo":
            records.remove_service(g.home.id, form.resident.data, day, form.kind.data)
        else:
            records.record_service(g.home.id, form.resident.data, day, form.kind.data, current_user.id)
    except ImpactError as error:
        return render_error(400, str(error))
    target = url_for(".sheet", home_slug=g.home.slug, day=day.isoformat())
    return redirect(f"{target}#r{int(form.resident.data)}")


@bp.route("/residents", methods=["GET", "POST"])
@one_time
def residents(home_slug: str):
    form = ResidentForm()
    error = None
    if form.validate_on_submit():
        try:
            resident = records.add_resident(g.home.id, form.name.data)
        except ImpactError as problem:
            error = str(problem)
        else:
            flash(_("%(name)s is on the list.", name=resident.name), "success")
            return redirect(url_for(".residents", home_slug=g.home.slug))
    status = 400 if form.is_submitted() else 200
    return render_template("impact/manage/residents.html", form=form, error=error,
                           people=records.residents(g.home.id, active_only=False),
                           active_form=ResidentActiveForm()), status


@bp.post("/residents/active")
@one_time
def resident_active(home_slug: str):
    form = ResidentActiveForm()
    if not form.validate_on_submit() or form.active.data not in ("0", "1"):
        return render_error(400)
    try:
        records.set_active(g.home.id, form.resident.data, form.active.data == "1")
    except ImpactError as error:
        return render_error(404, str(error))
    return redirect(url_for(".residents", home_slug=g.home.slug))


@bp.route("/import", methods=["GET", "POST"])
@one_time
def import_register(home_slug: str):
    form = RegisterImportForm()
    result = error = None
    if form.validate_on_submit():
        try:
            result = register_import.import_register(g.home.id, form.register.data.read(
                register_import.MAX_BYTES + 1), current_user.id)
        except ImpactError as problem:
            error = str(problem)
        else:
            if not result.problems:
                flash(_("Imported: %(added)s services added, %(already)s already recorded.",
                        added=result.added, already=result.already), "success")
                return redirect(url_for(".import_register", home_slug=g.home.slug))
    status = 400 if form.is_submitted() else 200
    return render_template("impact/manage/import.html", form=form, result=result, error=error), status


@bp.route("/survey", methods=["GET", "POST"])
@one_time
def survey(home_slug: str):
    """The list of elders (who answered this month, never what), or one elder's survey form."""
    form = SurveyForm()
    month = surveys.this_month()
    done = surveys.answered(g.home.id, month)
    chosen = records.resident_in(g.home.id, form.resident.data if form.is_submitted()
                                 else request.args.get("resident"))
    error = None
    if form.is_submitted():
        if not form.validate():
            error = _("Please choose a face for every question.")
        else:
            answers = {q: getattr(form, q).data for q in surveys.QUESTIONS}
            try:
                surveys.record_survey(g.home.id, form.resident.data, answers, helped=form.helped.data,
                                      user_id=current_user.id)
            except ImpactError as problem:
                error = str(problem)
            else:
                flash(_("Thank you. The answers are saved without the elder's name in any report."),
                      "success")
                return redirect(url_for(".survey", home_slug=g.home.slug))
    if chosen is not None and not form.is_submitted():
        form.resident.data = str(chosen.id)
    status = 400 if form.is_submitted() else 200
    return render_template("impact/manage/survey.html", form=form, chosen=chosen, done=done, month=month,
                           error=error, people=records.residents(g.home.id)), status


@bp.get("/reviews")
def review_list(home_slug: str):
    return render_template("impact/manage/reviews.html", items=reviews.home_reviews(g.home.id),
                           form=ReplyForm())


@bp.post("/reviews/reply")
@one_time
def reply(home_slug: str):
    form = ReplyForm()
    if not form.validate_on_submit():
        return render_error(400)
    try:
        found = reviews.reply(g.home.id, form.review.data, current_user, form.reply.data)
    except ImpactError as error:
        return render_error(400, str(error))
    flash(_("Your reply is shown under the review."), "success")
    return redirect(url_for(".review_list", home_slug=g.home.slug) + f"#review-{found.id}")


@bp.get("/dashboard")
def dashboard(home_slug: str):
    board = dashboards.staff_dashboard(g.home.id)
    committee = g.role == "supervisor"
    approvals = dashboards.pending_approvals(g.home.id) if committee else []
    corrections = dashboards.home_corrections(g.home.id) if committee else None
    return render_template("impact/manage/dashboard.html", board=board, charts=page.dashboard_charts(board),
                           kind_label=page.kind_label, approvals=approvals, role=g.role,
                           corrections=corrections, status_label=status_label)
