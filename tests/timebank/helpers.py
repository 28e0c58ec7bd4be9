"""Builders for the time-bank tests: a home with staff, a supervisor, a volunteer with an account,
an elder without a phone, and confirmed hours, all through the time bank's own services."""

from dataclasses import dataclass
from datetime import timedelta

from market import clock
from market.timebank import hours, people
from models import Home, User


@dataclass
class Bank:
    home: Home
    staff: User
    staff2: User
    supervisor: User
    supervisor2: User
    volunteer_user: User
    volunteer: object
    elder: object


def bank(make) -> Bank:
    home = make.home()
    staff, staff2 = make.member(home), make.member(home)
    supervisor, supervisor2 = make.member(home, "supervisor"), make.member(home, "supervisor")
    volunteer_user = make.user()
    volunteer = people.register_self(volunteer_user, home.id, people.PersonInput(
        name="小李", village="前屯村", skills=["visits", "meals"]))
    elder = people.register_by_staff(staff, home.id, people.PersonInput(
        name="王奶奶", village="前屯村", is_volunteer=False))
    return Bank(home, staff, staff2, supervisor, supervisor2, volunteer_user, volunteer, elder)


def ago(**delta):
    return clock.now() - timedelta(**delta)


def confirmed(b: Bank, minutes: int = 60, *, days_ago: float = 10, skill: str = "visits"):
    """A service of `minutes` ended `days_ago` days ago, logged by the volunteer and confirmed by
    staff for the elder at the time (so its hours are spendable once the 7 days have passed)."""
    start = ago(days=days_ago, minutes=minutes)
    service = hours.log_service(b.volunteer_user, b.home.id, b.volunteer.id, receiver_id=b.elder.id,
                                skill=skill, started_at=start, minutes=minutes)
    return hours.confirm_service(b.staff, b.home.id, service.id, now=start + timedelta(minutes=minutes + 5))
