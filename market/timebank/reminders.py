"""Reminders by mail, through the outbox (`market.mail.send_after_commit`), run every hour by the
worker (`market/timebank/tasks.py`):

- a volunteer assigned to a request is reminded the day before it (the home's calendar day);
- a service logged and not confirmed for 2 days reminds the receiver, or, for receivers without
  an account (elders without phones), the home's staff (never the person who logged it).

Each reminder has its key (`timebank:remind:request:<id>`, `timebank:remind:service:<id>:<user>`),
so a thing is reminded once whatever how often the task runs. A mail is written in its reader's
language (the account's language; Chinese when none is saved). People without an email address
are skipped: the staff console lists them (`without_email`) so staff can tell them in person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select

from market import clock
from market.mail import Mail, send_after_commit
from models import Home, Membership, User, db
from models.timebank import Service, ServiceRequest

UNCONFIRMED_DAYS = 2
LOCALES = ("zh_Hans", "en")


def _language(user: User) -> str:
    return user.locale if user.locale in LOCALES else "zh_Hans"


def _mail(user: User, template: str, key: str, **context) -> None:
    with force_locale(_language(user)):
        text = render_template(template, **context)
    subject, _, body = text.strip().partition("\n")
    send_after_commit(Mail(user.email, subject.strip(), body.strip() + "\n"), key=key)


def _tomorrow_window(home: Home, now: datetime) -> tuple[datetime, datetime]:
    tomorrow = clock.local_today(now, home) + timedelta(days=1)
    start = clock.start_of_day(tomorrow, home)
    return start, start + timedelta(days=1)


def _tomorrow_requests(home: Home, now: datetime) -> list[ServiceRequest]:
    start, end = _tomorrow_window(home, now)
    return list(db.session.scalars(select(ServiceRequest).where(
        ServiceRequest.home_id == home.id, ServiceRequest.status == "assigned",
        ServiceRequest.volunteer_id.is_not(None),
        ServiceRequest.wanted_at >= start, ServiceRequest.wanted_at < end).order_by(ServiceRequest.id)))


def _email_user(user_id) -> User | None:
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.email else None


def _staff_with_email(home_id: int) -> list[User]:
    return list(db.session.scalars(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.home_id == home_id, Membership.role == "staff", User.email.is_not(None))
        .order_by(User.id)))


def send_reminders(now: datetime | None = None) -> int:
    """Write the reminders that are due to the outbox; returns how many were written (a key
    already written is not written again). Commits."""
    now = now or clock.now()
    written = 0
    for home in db.session.scalars(select(Home).order_by(Home.id)):
        for need in _tomorrow_requests(home, now):
            user = _email_user(need.volunteer.user_id)
            if user is None:
                continue  # no email: on the console's list (`without_email`)
            _mail(user, "timebank/mail/request_tomorrow.txt", f"timebank:remind:request:{need.id}",
                  need=need, home=home)
            written += 1
        cutoff = now - timedelta(days=UNCONFIRMED_DAYS)
        waiting = db.session.scalars(select(Service).where(
            Service.home_id == home.id, Service.status == "logged", Service.created_at <= cutoff)
            .order_by(Service.id))
        for service in waiting:
            receiver = _email_user(service.receiver.user_id)
            readers = [receiver] if receiver is not None else [
                u for u in _staff_with_email(home.id) if u.id != service.logged_by_id]
            for user in readers:
                _mail(user, "timebank/mail/service_unconfirmed.txt",
                      f"timebank:remind:service:{service.id}:{user.id}", service=service, home=home,
                      for_staff=receiver is None)
                written += 1
    db.session.commit()
    return written


@dataclass
class Unreachable:
    request: ServiceRequest


def without_email(home: Home, now: datetime | None = None) -> list[Unreachable]:
    """Volunteers assigned to a request tomorrow whom no mail reaches: staff tell them."""
    return [Unreachable(need) for need in _tomorrow_requests(home, now or clock.now())
            if _email_user(need.volunteer.user_id) is None]
