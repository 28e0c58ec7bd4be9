"""What every time-bank use case shares: its errors, who may act in a home, the limits, and the
hours a person may spend now.

Errors: `TimeBankError` (bad input or a state that forbids it: 400/409 with the message),
`TimeBankNotFound` (no such record in this home, or the user has no business there: 404, so
other homes stay invisible), `TimeBankForbidden` (a member whose role does not allow it: 403).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from market import clock
from market.accounts.service import role_in_home
from market.ledger.time_entries import held_minutes
from models import Home, db
from models.timebank import Service, TimeDispute, TimePerson

MAX_DAY_MINUTES = 12 * 60  # at most 12 hours of service per person per day
MAX_SERVICE_MINUTES = MAX_DAY_MINUTES
DISPUTE_DAYS = 7  # a confirmation can be disputed for 7 days; its hours are spendable after


class TimeBankError(ValueError):
    """An action the user must correct or cannot do now; str(error) is a translated message."""


class TimeBankNotFound(TimeBankError):
    """No such record in this home (or no business in this home): 404."""


class TimeBankForbidden(TimeBankError):
    """A member of the home whose role does not allow this: 403."""


def home_or_404(home_id) -> Home:
    home = db.session.get(Home, home_id) if isinstance(home_id, int) else None
    if home is None:
        raise TimeBankNotFound(_("No such home."))
    return home


def staff_role(user, home_id: int, *, write: bool = True) -> str:
    """The user's role in the home; 404 for outsiders, 403 for a supervisor's write."""
    role = role_in_home(user, home_id)
    if role is None:
        raise TimeBankNotFound(_("No such time bank record in this home."))
    if write and role != "staff":
        raise TimeBankForbidden(_("Only the home's staff can do this."))
    return role


def person_in(home_id: int, person_id) -> TimePerson:
    person = db.session.get(TimePerson, person_id) if isinstance(person_id, int) else None
    if person is None or person.home_id != home_id:
        raise TimeBankNotFound(_("No such person in this home's time bank."))
    return person


def is_own(user, person: TimePerson) -> bool:
    return bool(user is not None and user.is_authenticated and person.user_id == user.id)


def may_act_for(user, person: TimePerson) -> bool:
    """The person themself, or the staff of their home (for people without phones)."""
    return is_own(user, person) or role_in_home(user, person.home_id) == "staff"


def check_minutes(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_SERVICE_MINUTES:
        raise TimeBankError(_("Give the time in minutes, from 1 to %(most)s.", most=MAX_SERVICE_MINUTES))
    return value


def aware(moment: datetime) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise TimeBankError(_("Give a date and a time."))
    return moment


def disputable_minutes(person_id: int, now: datetime | None = None) -> int:
    """Minutes earned by confirmations still inside the dispute window, or under an open
    dispute: not yet spendable, so an upheld dispute can always take them back."""
    since = (now or clock.now()) - timedelta(days=DISPUTE_DAYS)
    disputed = select(TimeDispute.service_id).where(TimeDispute.status == "open")
    return int(db.session.scalar(
        select(func.coalesce(func.sum(Service.minutes), 0))
        .where(Service.volunteer_id == person_id, Service.status == "confirmed",
               (Service.confirmed_at > since) | Service.id.in_(disputed))
    ))


def spendable_minutes(person: TimePerson, now: datetime | None = None) -> int:
    """What the person may spend or give now: what they hold, less hours still disputable."""
    return max(held_minutes(person.home_id, person.id) - disputable_minutes(person.id, now), 0)
