"""Service requests: an elder's need (what, when, where), entered by the elder or the home's
staff; staff assign a volunteer, or a volunteer of the home picks an open one."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update

from market import clock
from market.database import use_case
from market.timebank.common import (
    TimeBankError,
    TimeBankNotFound,
    aware,
    home_or_404,
    may_act_for,
    person_in,
    staff_role,
)
from models import db
from models.timebank import SKILLS, ServiceRequest, TimePerson


@use_case
def create_request(actor, home_id: int, elder_id: int, *, skill: str, what: str, wanted_at: datetime,
                   place: str = "") -> ServiceRequest:
    home = home_or_404(home_id)
    elder = person_in(home.id, elder_id)
    if not may_act_for(actor, elder):
        staff_role(actor, home.id)  # 404 to outsiders, 403 to a supervisor
    if skill not in SKILLS:
        raise TimeBankError(_("Choose what kind of help from the list."))
    what, place = (what or "").strip(), (place or "").strip()
    if not what or len(what) > 200:
        raise TimeBankError(_("Say what help is needed, in at most 200 characters."))
    if len(place) > 120:
        raise TimeBankError(_("The place is too long (at most 120 characters)."))
    request = ServiceRequest(home_id=home.id, elder_id=elder.id, skill=skill, what=what,
                             wanted_at=aware(wanted_at), place=place, status="open",
                             entered_by_id=actor.id, created_at=clock.now())
    db.session.add(request)
    db.session.commit()
    return request


def request_in(home_id: int, request_id) -> ServiceRequest:
    found = db.session.get(ServiceRequest, request_id) if isinstance(request_id, int) else None
    if found is None or found.home_id != home_id:
        raise TimeBankNotFound(_("No such request in this home."))
    return found


def _give_to(request: ServiceRequest, volunteer: TimePerson, statuses: tuple[str, ...]) -> None:
    if not volunteer.is_volunteer:
        raise TimeBankError(_("This person is not registered as a volunteer."))
    if volunteer.id == request.elder_id:
        raise TimeBankError(_("Nobody can be their own volunteer."))
    # One conditional UPDATE: two volunteers picking the same request cannot both get it.
    taken = db.session.execute(
        update(ServiceRequest)
        .where(ServiceRequest.id == request.id, ServiceRequest.status.in_(statuses))
        .values(status="assigned", volunteer_id=volunteer.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise TimeBankError(_("This request is no longer open."))
    db.session.commit()
    db.session.refresh(request)


@use_case
def assign(staff, home_id: int, request_id: int, volunteer_id: int) -> ServiceRequest:
    home = home_or_404(home_id)
    staff_role(staff, home.id)
    request = request_in(home.id, request_id)
    _give_to(request, person_in(home.id, volunteer_id), ("open", "assigned"))
    return request


@use_case
def accept(user, request_id: int) -> ServiceRequest:
    """A volunteer of the request's home takes an open request."""
    found = db.session.get(ServiceRequest, request_id) if isinstance(request_id, int) else None
    mine = found and db.session.scalar(select(TimePerson).where(
        TimePerson.home_id == found.home_id, TimePerson.user_id == getattr(user, "id", None)))
    if not mine:
        raise TimeBankNotFound(_("No such request for you."))
    _give_to(found, mine, ("open",))
    return found


def open_requests(home_id: int) -> list[ServiceRequest]:
    return list(db.session.scalars(
        select(ServiceRequest).where(ServiceRequest.home_id == home_id,
                                     ServiceRequest.status.in_(("open", "assigned")))
        .order_by(ServiceRequest.wanted_at, ServiceRequest.id)))


def requests_for_volunteer(person: TimePerson) -> list[ServiceRequest]:
    """Open requests of the person's home that ask for one of their skills, and those assigned
    to them."""
    found = [r for r in open_requests(person.home_id)
             if (r.status == "open" and r.skill in person.skill_list and r.elder_id != person.id)
             or r.volunteer_id == person.id]
    return found
