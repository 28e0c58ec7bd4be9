"""People of a home's time bank: volunteers who register themselves, and people staff register
for them (an elder or a volunteer without a phone), and matching volunteers to a request."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from market import clock
from market.database import use_case
from market.timebank.common import TimeBankError, home_or_404, staff_role
from models import db
from models.timebank import SKILLS, ServiceRequest, TimePerson

_PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,18}$")


@dataclass
class PersonInput:
    name: str
    village: str
    phone: str = ""
    skills: list[str] = field(default_factory=list)
    availability: str = ""
    is_volunteer: bool = True


def _clean(data: PersonInput) -> PersonInput:
    name, village = (data.name or "").strip(), (data.village or "").strip()
    if not name or len(name) > 60:
        raise TimeBankError(_("Give a name of at most 60 characters."))
    if not village or len(village) > 60:
        raise TimeBankError(_("Give the village, at most 60 characters."))
    phone = (data.phone or "").strip()
    if phone and not _PHONE.match(phone):
        raise TimeBankError(_("The phone number should be digits only, or leave it empty."))
    skills = list(dict.fromkeys(data.skills or []))
    if any(skill not in SKILLS for skill in skills):
        raise TimeBankError(_("Choose skills from the list."))
    if data.is_volunteer and not skills:
        raise TimeBankError(_("A volunteer chooses at least one skill."))
    availability = (data.availability or "").strip()
    if len(availability) > 120:
        raise TimeBankError(_("Say when you are free in at most 120 characters."))
    return PersonInput(name=name, village=village, phone=phone, skills=skills,
                       availability=availability, is_volunteer=bool(data.is_volunteer))


def _person(home_id: int, data: PersonInput, **extra) -> TimePerson:
    return TimePerson(home_id=home_id, name=data.name, phone=data.phone or None, village=data.village,
                      skills=",".join(data.skills), availability=data.availability,
                      is_volunteer=data.is_volunteer, created_at=clock.now(), **extra)


@use_case
def register_self(user, home_id: int, data: PersonInput) -> TimePerson:
    """A signed-in person joins a home's time bank as a volunteer (once per home)."""
    if user is None or not user.is_authenticated:
        raise TimeBankError(_("Please log in first."))
    home = home_or_404(home_id)
    data = _clean(PersonInput(**{**data.__dict__, "is_volunteer": True}))
    if db.session.scalar(select(TimePerson.id).where(TimePerson.home_id == home.id,
                                                     TimePerson.user_id == user.id)):
        raise TimeBankError(_("You are already a volunteer of this home."))
    person = _person(home.id, data, user_id=user.id, created_by_id=user.id)
    db.session.add(person)
    db.session.commit()
    return person


@use_case
def register_by_staff(staff, home_id: int, data: PersonInput) -> TimePerson:
    """Staff register someone without a phone (or any elder or volunteer) and act for them."""
    home = home_or_404(home_id)
    staff_role(staff, home.id)
    person = _person(home.id, _clean(data), created_by_id=staff.id)
    db.session.add(person)
    db.session.commit()
    return person


def home_people(home_id: int, volunteers: bool | None = None) -> list[TimePerson]:
    query = select(TimePerson).where(TimePerson.home_id == home_id)
    if volunteers is not None:
        query = query.where(TimePerson.is_volunteer.is_(volunteers))
    return list(db.session.scalars(query.order_by(TimePerson.name, TimePerson.id)))


def people_of_user(user) -> list[TimePerson]:
    if user is None or not user.is_authenticated:
        return []
    return list(db.session.scalars(select(TimePerson).where(TimePerson.user_id == user.id)
                                   .order_by(TimePerson.id)))


def matches(request: ServiceRequest, limit: int = 5) -> list[TimePerson]:
    """Volunteers of the request's home with the skill asked for, ranked by village distance
    (those of the elder's own village first: the "15-minute care circle"), then by whether they
    are free at the request's time (free, then unknown, then not free: `availability.py`);
    never the elder themself."""
    from market.timebank.availability import free_at, rank

    found = [p for p in home_people(request.home_id, volunteers=True)
             if request.skill in p.skill_list and p.id != request.elder_id]
    village = request.elder.village
    home = request.elder.home
    found.sort(key=lambda p: (p.village != village, rank(free_at(p.availability, request.wanted_at, home)),
                              p.name, p.id))
    return found[:limit]


def free_then(requests) -> dict[tuple[int, int], bool | None]:
    """(request id, volunteer id) → free at the request's time, for the matched volunteers."""
    from market.timebank.availability import free_at

    return {(r.id, p.id): free_at(p.availability, r.wanted_at, r.elder.home)
            for r in requests for p in matches(r)}
