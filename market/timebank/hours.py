"""Recording hours: a finished service is logged by the volunteer (or staff for them) and
confirmed by the receiver, or by staff on the receiver's behalf; the confirmation posts one
balanced TIME entry (the home's pool → the volunteer). The confirmer is recorded.

Rules: no time in the future; no two services of one volunteer overlapping; at most 12 hours of
service per volunteer per day (the home's calendar day of the start); nobody confirms a service
they gave or logged; a service is confirmed once (one conditional UPDATE, one idempotency key).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from market import clock, hooks
from market.database import use_case
from market.ledger import time_entries
from market.ledger.service import LedgerError, lock_ledger
from market.timebank.common import (
    MAX_DAY_MINUTES,
    TimeBankError,
    TimeBankNotFound,
    aware,
    check_minutes,
    home_or_404,
    is_own,
    may_act_for,
    person_in,
    staff_role,
)
from market.timebank.needs import request_in
from models import db
from models.timebank import SKILLS, Service

LIVE = ("logged", "confirmed")


def _check_volunteer_time(volunteer_id: int, start: datetime, end: datetime, minutes: int, home) -> None:
    overlapping = db.session.scalar(select(func.count(Service.id)).where(
        Service.volunteer_id == volunteer_id, Service.status.in_(LIVE),
        Service.started_at < end, Service.ended_at > start))
    if overlapping:
        raise TimeBankError(_("This volunteer already has a service recorded at that time."))
    day_start = clock.start_of_day(clock.local_today(start, home), home)
    day_end = day_start + timedelta(days=1)
    that_day = db.session.scalar(select(func.coalesce(func.sum(Service.minutes), 0)).where(
        Service.volunteer_id == volunteer_id, Service.status.in_(LIVE),
        Service.started_at >= day_start, Service.started_at < day_end))
    if int(that_day) + minutes > MAX_DAY_MINUTES:
        raise TimeBankError(_("At most 12 hours of service can be recorded for one person in one day."))


@use_case
def log_service(actor, home_id: int, volunteer_id: int, *, started_at: datetime, minutes: int,
                receiver_id: int | None = None, skill: str | None = None, request_id: int | None = None,
                note: str = "", now: datetime | None = None) -> Service:
    home = home_or_404(home_id)
    volunteer = person_in(home.id, volunteer_id)
    if not may_act_for(actor, volunteer):
        staff_role(actor, home.id)
    if not volunteer.is_volunteer:
        raise TimeBankError(_("This person is not registered as a volunteer."))
    request = None
    if request_id is not None:
        request = request_in(home.id, request_id)
        if request.volunteer_id != volunteer.id or request.status != "assigned":
            raise TimeBankError(_("This request is not assigned to this volunteer."))
        receiver_id, skill = request.elder_id, request.skill
    receiver = person_in(home.id, receiver_id)
    if receiver.id == volunteer.id:
        raise TimeBankError(_("A volunteer cannot record a service to themself."))
    if skill not in SKILLS:
        raise TimeBankError(_("Choose what kind of help from the list."))
    minutes = check_minutes(minutes)
    start = aware(started_at)
    end = start + timedelta(minutes=minutes)
    if end > (now or clock.now()):
        raise TimeBankError(_("A service can be recorded only once it has ended: that time is in the "
                              "future."))
    note = (note or "").strip()
    if len(note) > 200:
        raise TimeBankError(_("The note is too long (at most 200 characters)."))
    lock_ledger()  # one writer at a time: two logs at once cannot both pass the overlap check
    _check_volunteer_time(volunteer.id, start, end, minutes, home)
    service = Service(home_id=home.id, request_id=request.id if request else None, volunteer_id=volunteer.id,
                      receiver_id=receiver.id, skill=skill, started_at=start, ended_at=end, minutes=minutes,
                      note=note, status="logged", logged_by_id=actor.id, created_at=clock.now())
    db.session.add(service)
    if request is not None:
        request.status = "done"
    db.session.commit()
    return service


def service_in(home_id: int, service_id) -> Service:
    found = db.session.get(Service, service_id) if isinstance(service_id, int) else None
    if found is None or found.home_id != home_id:
        raise TimeBankNotFound(_("No such service in this home."))
    return found


def _confirmer(actor, service: Service) -> bool:
    """True when staff confirm on the receiver's behalf, False when the receiver does; refuses
    the volunteer, the one who logged it, and anyone else."""
    if actor is None or not actor.is_authenticated:
        raise TimeBankNotFound(_("No such service in this home."))
    if is_own(actor, service.volunteer) or actor.id == service.logged_by_id:
        raise TimeBankError(_("Nobody can confirm a service they gave or recorded. Ask the receiver or "
                              "another member of staff."))
    if is_own(actor, service.receiver):
        return False
    staff_role(actor, service.home_id)
    return True


@use_case
def confirm_service(actor, home_id: int, service_id: int, now: datetime | None = None) -> Service:
    home = home_or_404(home_id)
    service = service_in(home.id, service_id)
    on_behalf = _confirmer(actor, service)
    moment = now or clock.now()
    # One conditional UPDATE: two confirmations at once cannot both post.
    claimed = db.session.execute(
        update(Service).where(Service.id == service.id, Service.status == "logged")
        .values(status="confirmed", confirmed_by_id=actor.id, on_behalf=on_behalf, confirmed_at=moment)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise TimeBankError(_("This service was already confirmed or turned down."))
    db.session.refresh(service)
    try:
        entry = time_entries.post_service(home_id=home.id, volunteer_id=service.volunteer_id,
                                          minutes=service.minutes, service_id=service.id,
                                          skill=service.skill, occurred_at=service.ended_at)
    except LedgerError as error:
        raise TimeBankError(str(error)) from None
    if entry is None:
        raise TimeBankError(_("This service was already confirmed or turned down."))
    service.entry_id = entry.id
    hooks.time_confirmed.send(service)
    db.session.commit()
    return service


@use_case
def reject_service(actor, home_id: int, service_id: int) -> Service:
    """The receiver (or staff for them) says the service did not happen as recorded."""
    home = home_or_404(home_id)
    service = service_in(home.id, service_id)
    _confirmer(actor, service)
    claimed = db.session.execute(
        update(Service).where(Service.id == service.id, Service.status == "logged")
        .values(status="rejected", confirmed_by_id=actor.id, confirmed_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise TimeBankError(_("This service was already confirmed or turned down."))
    db.session.commit()
    db.session.refresh(service)
    return service


def unconfirmed(home_id: int) -> list[Service]:
    return list(db.session.scalars(
        select(Service).where(Service.home_id == home_id, Service.status == "logged")
        .order_by(Service.started_at, Service.id)))


def services_of(person_id: int, limit: int = 50) -> list[Service]:
    return list(db.session.scalars(
        select(Service).where((Service.volunteer_id == person_id) | (Service.receiver_id == person_id))
        .order_by(Service.started_at.desc(), Service.id.desc()).limit(limit)))
