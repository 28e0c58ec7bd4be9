"""The time bank in a home's console: /manage/<home_slug>/timebank/…

Members of the home (staff; a supervisor reads, and decides disputes) see it; anyone else gets
404. Staff register people without phones, enter requests for them, assign volunteers (matched
by skill and village), confirm services on an elder's behalf and spend hours for them.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from market.accounts.service import role_in_home
from market.errors import render_error
from market.i18n import is_english
from market.once import one_time
from market.timebank import (
    disputes,
    hours,
    needs,
    passbook,
    people,
    recognitions,
    reminders,
    reserve,
    spending,
)
from market.timebank.common import TimeBankError, person_in, spendable_minutes
from market.timebank.forms import (
    ActionForm,
    AllocationForm,
    AssignForm,
    DecideForm,
    DisputeForm,
    PersonForm,
    RequestForm,
    SpendForm,
)
from market.timebank.views import fail
from models import Home, db

bp = Blueprint("timebank_manage", __name__, url_prefix="/manage/<home_slug>/timebank")

# A supervisor (village committee) reads every page; of the writes, only these are theirs too:
# disputes (opening one, deciding one), allocations from the hours reserve, recognition budgets.
SUPERVISOR_POSTS = {"timebank_manage.dispute", "timebank_manage.decide", "timebank_manage.decide_allocation",
                    "timebank_manage.propose_budget", "timebank_manage.decide_budget"}


@bp.before_request
@login_required
def _members_only():
    """Outsiders 404 (before anything else); a supervisor's write other than their own is 403."""
    home, role = _home_for((request.view_args or {}).get("home_slug", ""))
    if request.method == "POST" and role != "staff" and request.endpoint not in SUPERVISOR_POSTS:
        abort(403)
    return None


def _home_for(slug: str) -> tuple[Home, str]:
    home = db.session.scalar(select(Home).where(Home.slug == slug))
    role = role_in_home(current_user, home.id) if home is not None else None
    if role is None:
        abort(404)
    return home, role


def _person(home: Home, person_id: int):
    try:
        return person_in(home.id, person_id)
    except TimeBankError:
        abort(404)


def _back(home: Home):
    return redirect(url_for(".index", home_slug=home.slug))


def decided(home_slug: str, act, yes: str, no: str, back=None):
    """A four-eyes decision posted with DecideForm: `act(home, said_yes, form)` records it (a
    TimeBankError refuses it, nothing changed); then the message for yes or no, and back."""
    home, _role = _home_for(home_slug)
    form = DecideForm()
    if not form.validate_on_submit():
        return render_error(400)
    said_yes = bool(form.uphold.data) and not form.dismiss.data
    try:
        act(home, said_yes, form)
    except TimeBankError as error:
        return fail(error)
    flash(yes if said_yes else no, "success")
    return (back or _back)(home)


@bp.get("/")
def index(home_slug: str):
    home, role = _home_for(home_slug)
    requests = needs.open_requests(home.id)
    volunteers = people.home_people(home.id, volunteers=True)
    assign_forms = {}
    for need in requests:
        form = AssignForm(prefix=f"r{need.id}")
        matched = people.matches(need)
        others = [v for v in volunteers if v not in matched and v.id != need.elder_id]
        form.volunteer_id.choices = [(v.id, f"★ {v.name} · {v.village}") for v in matched] + \
                                    [(v.id, f"{v.name} · {v.village}") for v in others]
        assign_forms[need.id] = form
    allocate = AllocationForm()
    allocate.to_person.choices = [(p.id, f"{p.name} · {p.village}") for p in people.home_people(home.id)]
    return render_template(
        "timebank/manage/index.html", home=home, role=role, requests=requests, assign_forms=assign_forms,
        matches={r.id: people.matches(r) for r in requests}, free=people.free_then(requests),
        unconfirmed=hours.unconfirmed(home.id),
        open_disputes=disputes.open_disputes(home.id), action=ActionForm(), decide=DecideForm(),
        served=spending.served_here(home.id, limit=20), totals=passbook.home_totals(home),
        reserve_minutes=reserve.reserve_minutes(home.id), allocations=reserve.proposed(home.id),
        allocate=allocate, no_email=reminders.without_email(home))


@bp.get("/people")
def people_list(home_slug: str):
    home, role = _home_for(home_slug)
    found = people.home_people(home.id)
    return render_template("timebank/manage/people.html", home=home, role=role, people=found,
                           held={p.id: passbook.held(p) for p in found})


@bp.route("/people/new", methods=["GET", "POST"])
@one_time
def person_new(home_slug: str):
    home, role = _home_for(home_slug)
    form = PersonForm()
    if form.validate_on_submit():
        data = people.PersonInput(name=form.name.data, village=form.village.data, phone=form.phone.data or "",
                                  skills=list(form.skills.data or []),
                                  availability=form.availability.data or "",
                                  is_volunteer=bool(form.is_volunteer.data))
        try:
            person = people.register_by_staff(current_user, home.id, data)
        except TimeBankError as error:
            if error.__class__ is not TimeBankError:
                return fail(error)
            form.form_errors.append(str(error))
        else:
            flash(_("Registered: %(name)s.", name=person.name), "success")
            return redirect(url_for(".people_list", home_slug=home.slug))
    status = 400 if form.is_submitted() else 200
    return render_template("timebank/manage/person_form.html", home=home, role=role, form=form), status


@bp.get("/people/<int:person_id>")
def person(home_slug: str, person_id: int):
    home, role = _home_for(home_slug)
    found = _person(home, person_id)
    spend = SpendForm()
    homes = db.session.scalars(select(Home).order_by(Home.id))
    spend.serving_home.choices = [(h.id, h.name_en if is_english() else h.name_zh) for h in homes]
    spend.serving_home.data = home.id
    return render_template("timebank/passbook.html", person=found, rows=passbook.passbook(found),
                           held=passbook.held(found), spendable=spendable_minutes(found), home=home,
                           role=role, recognition=recognitions.for_passbook(found),
                           staff_spend=spend, services=hours.services_of(found.id), dispute=DisputeForm())


@bp.post("/people/<int:person_id>/spend")
@one_time
def spend_for(home_slug: str, person_id: int):
    """Staff spend hours for someone without a phone (an elder spending a gift, say)."""
    home, _role = _home_for(home_slug)
    found = _person(home, person_id)
    form = SpendForm()
    if not form.validate_on_submit():
        return render_error(400, _("Please give the home, the minutes and what help."))
    try:
        spending.redeem(current_user, found.id, serving_home_id=form.serving_home.data,
                        minutes=form.minutes.data,
                        what=form.what.data, beneficiary=form.beneficiary.data or "")
    except TimeBankError as error:
        return fail(error)
    flash(_("Done: the hours are spent. The home will arrange the help."), "success")
    return redirect(url_for(".person", home_slug=home.slug, person_id=found.id))


@bp.route("/requests/new", methods=["GET", "POST"])
@one_time
def request_new(home_slug: str):
    home, role = _home_for(home_slug)
    form = RequestForm()
    form.elder_id.choices = [(p.id, f"{p.name} · {p.village}") for p in people.home_people(home.id)]
    if form.validate_on_submit():
        wanted = form.moment(home)
        if wanted is None:
            form.day.errors = [_("Give a day within a year of today.")]
        else:
            try:
                needs.create_request(current_user, home.id, form.elder_id.data, skill=form.skill.data,
                                     what=form.what.data, wanted_at=wanted, place=form.place.data or "")
            except TimeBankError as error:
                if error.__class__ is not TimeBankError:
                    return fail(error)
                form.form_errors.append(str(error))
            else:
                flash(_("Request entered. Assign a volunteer, or one will pick it."), "success")
                return _back(home)
    status = 400 if form.is_submitted() else 200
    return render_template("timebank/manage/request_form.html", home=home, role=role, form=form), status


@bp.post("/requests/<int:request_id>/assign")
@one_time
def assign(home_slug: str, request_id: int):
    home, _role = _home_for(home_slug)
    try:
        needs.request_in(home.id, request_id)
    except TimeBankError as error:
        return fail(error)
    form = AssignForm(prefix=f"r{request_id}")
    if not form.validate_on_submit():
        return render_error(400, _("Choose a volunteer."))
    try:
        needs.assign(current_user, home.id, request_id, form.volunteer_id.data)
    except TimeBankError as error:
        return fail(error)
    flash(_("Volunteer assigned."), "success")
    return _back(home)


def _service_action(home_slug: str, service_id: int, action, message: str):
    home, _role = _home_for(home_slug)
    if not ActionForm().validate_on_submit():
        return render_error(400)
    try:
        action(current_user, home.id, service_id)
    except TimeBankError as error:
        return fail(error)
    flash(message, "success")
    return _back(home)


@bp.post("/services/<int:service_id>/confirm")
@one_time
def confirm(home_slug: str, service_id: int):
    return _service_action(home_slug, service_id, hours.confirm_service,
                           _("Confirmed on the receiver's behalf: the hours are in the volunteer's "
                             "passbook."))


@bp.post("/services/<int:service_id>/reject")
@one_time
def reject(home_slug: str, service_id: int):
    return _service_action(home_slug, service_id, hours.reject_service,
                           _("Turned down: no hours were recorded."))


@bp.post("/services/<int:service_id>/dispute")
@one_time
def dispute(home_slug: str, service_id: int):
    home, _role = _home_for(home_slug)
    try:
        hours.service_in(home.id, service_id)
    except TimeBankError as error:
        return fail(error)
    form = DisputeForm()
    if not form.validate_on_submit():
        return render_error(400, _("Say what is wrong."))
    try:
        disputes.open_dispute(current_user, home.id, service_id, form.reason.data)
    except TimeBankError as error:
        return fail(error)
    flash(_("Dispute opened. Another supervisor of the home will decide."), "success")
    return _back(home)


@bp.post("/disputes/<int:dispute_id>/decide")
@one_time
def decide(home_slug: str, dispute_id: int):
    return decided(home_slug, lambda home, uphold, form: disputes.decide_dispute(
        current_user, home.id, dispute_id, uphold=uphold, comment=form.comment.data or ""),
        _("Upheld: the hours were taken back with a reversing entry."), _("Dismissed: the hours stay."))


@bp.post("/reserve/allocate")
@one_time
def allocate(home_slug: str):
    """Staff propose hours from the home's reserve for a person; a supervisor decides."""
    home, _role = _home_for(home_slug)
    form = AllocationForm()
    if not form.validate_on_submit():
        return render_error(400, _("Please choose the person, the minutes and say why."))
    try:
        reserve.propose(current_user, home.id, form.to_person.data, minutes=form.alloc_minutes.data,
                        reason=form.reason.data)
    except TimeBankError as error:
        return fail(error)
    flash(_("Proposed. A supervisor of the home will approve or reject it."), "success")
    return _back(home)


@bp.post("/reserve/<int:allocation_id>/decide")
@one_time
def decide_allocation(home_slug: str, allocation_id: int):
    return decided(home_slug, lambda home, approve, _form: reserve.decide(
        current_user, home.id, allocation_id, approve=approve),
        _("Approved: the hours are in the person's passbook."), _("Rejected."))
