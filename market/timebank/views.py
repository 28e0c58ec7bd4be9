"""The time bank for volunteers and the public: /timebank/…

- /timebank/                      my time bank: my passbooks, requests I can take, services to log
                                  or to confirm (log in first)
- /timebank/join/<home_slug>      join a home's time bank as a volunteer
- /timebank/homes/<home_slug>     the home's public totals (no names, no elder details)
- /timebank/passbook/<person_id>  a passbook (存折): the person or the staff of their home only
- POST …/requests/<id>/accept, …/requests/<id>/done, …/services/<id>/confirm,
  …/people/<id>/spend, …/people/<id>/give
"""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from market.accounts.service import role_in_home
from market.errors import render_error
from market.i18n import is_english
from market.money import format_minutes
from market.once import one_time
from market.timebank import hours, needs, passbook, people, recognitions, reserve, spending
from market.timebank.common import (
    TimeBankError,
    TimeBankForbidden,
    TimeBankNotFound,
    is_own,
    spendable_minutes,
)
from market.timebank.forms import ActionForm, DonateForm, DoneForm, GiftForm, JoinForm, SpendForm
from models import Home, db
from models.timebank import Service, ServiceRequest, TimePerson

bp = Blueprint("timebank", __name__, url_prefix="/timebank")


def fail(error: TimeBankError, code: int = 409):
    if isinstance(error, TimeBankNotFound):
        return render_error(404, str(error))
    if isinstance(error, TimeBankForbidden):
        return render_error(403, str(error))
    return render_error(code, str(error))


def _signed_in():
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return None


def _home(slug: str) -> Home:
    return db.session.scalar(select(Home).where(Home.slug == slug)) or abort(404)


def _mine(person_id: int) -> TimePerson:
    person = db.session.get(TimePerson, person_id)
    if person is None or not is_own(current_user, person):
        abort(404)
    return person


@bp.get("/")
def mine():
    refused = _signed_in()
    if refused is not None:
        return refused
    mine = people.people_of_user(current_user)
    to_confirm = list(db.session.scalars(select(Service).where(
        Service.receiver_id.in_([p.id for p in mine]), Service.status == "logged"))) if mine else []
    homes = list(db.session.scalars(select(Home).order_by(Home.id)))
    requests = {p.id: needs.requests_for_volunteer(p) for p in mine if p.is_volunteer}
    done_forms = {r.id: DoneForm(prefix=f"d{r.id}") for found in requests.values() for r in found}
    spend_forms, gift_forms, elders = {}, {}, {}
    donate_forms = {p.id: DonateForm(prefix=f"r{p.id}") for p in mine}
    for p in mine:
        spend_forms[p.id] = form = SpendForm(prefix=f"p{p.id}")
        form.serving_home.choices = [(h.id, h.name_en if is_english() else h.name_zh) for h in homes]
        form.serving_home.data = p.home_id
        gift_forms[p.id] = form = GiftForm(prefix=f"g{p.id}")
        elders[p.id] = [e for e in people.home_people(p.home_id, volunteers=False) if e.id != p.id]
        form.to_person.choices = [(e.id, f"{e.name} · {e.village}") for e in elders[p.id]]
    return render_template(
        "timebank/mine.html", people=mine, homes=homes, to_confirm=to_confirm, requests=requests,
        held={p.id: passbook.held(p) for p in mine}, spendable={p.id: spendable_minutes(p) for p in mine},
        elders=elders, done_forms=done_forms, spend_forms=spend_forms, gift_forms=gift_forms,
        donate_forms=donate_forms)


@bp.route("/join/<home_slug>", methods=["GET", "POST"])
@one_time
def join(home_slug: str):
    home = _home(home_slug)
    refused = _signed_in()
    if refused is not None:
        return refused
    form = JoinForm()
    if form.validate_on_submit():
        data = people.PersonInput(name=form.name.data, village=form.village.data,
                                  skills=list(form.skills.data or []),
                                  availability=form.availability.data or "",
                                  phone=current_user.phone or "")
        try:
            people.register_self(current_user, home.id, data)
        except TimeBankError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Welcome to the time bank. Requests that need your skills are shown here."), "success")
            return redirect(url_for(".mine"))
    if not form.is_submitted():
        form.name.data = form.name.data or current_user.name
    status = 400 if form.is_submitted() else 200
    return render_template("timebank/join.html", home=home, form=form), status


@bp.get("/homes/<home_slug>")
def public(home_slug: str):
    home = _home(home_slug)
    return render_template("timebank/public.html", home=home, totals=passbook.home_totals(home),
                           recognition_counts=recognitions.level_counts(home.id))


@bp.get("/passbook/<int:person_id>")
def passbook_page(person_id: int):
    person = db.session.get(TimePerson, person_id)
    if person is None or not (is_own(current_user, person) or role_in_home(current_user, person.home_id)):
        abort(404)
    return render_template("timebank/passbook.html", person=person, rows=passbook.passbook(person),
                           held=passbook.held(person), spendable=spendable_minutes(person),
                           recognition=recognitions.for_passbook(person))


@bp.post("/requests/<int:request_id>/accept")
@one_time
def accept(request_id: int):
    refused = _signed_in()
    if refused is not None:
        return refused
    if not ActionForm().validate_on_submit():
        return render_error(400)
    try:
        needs.accept(current_user, request_id)
    except TimeBankError as error:
        return fail(error)
    flash(_("Thank you: the request is yours. Log the time when the help is done."), "success")
    return redirect(url_for(".mine"))


@bp.post("/requests/<int:request_id>/done")
@one_time
def done(request_id: int):
    refused = _signed_in()
    if refused is not None:
        return refused
    request = db.session.get(ServiceRequest, request_id)
    if request is None or request.volunteer is None or not is_own(current_user, request.volunteer):
        abort(404)
    form = DoneForm(prefix=f"d{request_id}")
    if not form.validate_on_submit():
        return render_error(400, _("Please give the day, the time it began and the minutes."))
    started = form.moment(request.volunteer.home)
    if started is None:
        return render_error(400, _("Give a day within a year of today."))
    try:
        hours.log_service(current_user, request.home_id, request.volunteer_id, started_at=started,
                          minutes=form.minutes.data, request_id=request.id, note=form.note.data or "")
    except TimeBankError as error:
        return fail(error, 400)
    flash(_("Recorded. The hours are yours once the receiver or the home's staff confirm."), "success")
    return redirect(url_for(".mine"))


@bp.post("/services/<int:service_id>/confirm")
@one_time
def confirm(service_id: int):
    refused = _signed_in()
    if refused is not None:
        return refused
    service = db.session.get(Service, service_id)
    if service is None or not ActionForm().validate_on_submit():
        abort(404 if service is None else 400)
    try:
        hours.confirm_service(current_user, service.home_id, service.id)
    except TimeBankError as error:
        return fail(error)
    flash(_("Thank you: the hours are now in the volunteer's passbook."), "success")
    return redirect(url_for(".mine"))


@bp.post("/people/<int:person_id>/spend")
@one_time
def spend(person_id: int):
    refused = _signed_in()
    if refused is not None:
        return refused
    person = _mine(person_id)
    form = SpendForm(prefix=f"p{person_id}")
    if not form.validate_on_submit():
        return render_error(400, _("Please give the home, the minutes and what help."))
    try:
        spending.redeem(current_user, person.id, serving_home_id=form.serving_home.data,
                        minutes=form.minutes.data, what=form.what.data,
                        beneficiary=form.beneficiary.data or "")
    except TimeBankError as error:
        return fail(error)
    flash(_("Done: the hours are spent. The home will arrange the help."), "success")
    return redirect(url_for(".passbook_page", person_id=person.id))


@bp.post("/people/<int:person_id>/give")
@one_time
def give(person_id: int):
    refused = _signed_in()
    if refused is not None:
        return refused
    person = _mine(person_id)
    form = GiftForm(prefix=f"g{person_id}")
    if not form.validate_on_submit():
        return render_error(400, _("Please choose the elder and the minutes."))
    try:
        spending.give(current_user, person.id, form.to_person.data, minutes=form.gift_minutes.data)
    except TimeBankError as error:
        return fail(error)
    flash(_("Thank you: the hours were given."), "success")
    return redirect(url_for(".passbook_page", person_id=person.id))


@bp.post("/people/<int:person_id>/donate")
@one_time
def donate(person_id: int):
    refused = _signed_in()
    if refused is not None:
        return refused
    person = _mine(person_id)
    form = DonateForm(prefix=f"r{person_id}")
    if not form.validate_on_submit():
        return render_error(400, _("Please give the minutes."))
    try:
        reserve.donate(current_user, person.id, minutes=form.donate_minutes.data)
    except TimeBankError as error:
        return fail(error)
    flash(_("Thank you: the hours are in the home's reserve, for elders who need more help."), "success")
    return redirect(url_for(".passbook_page", person_id=person.id))


@bp.app_template_filter("duration")
def duration(minutes: int) -> str:
    return format_minutes(minutes)
