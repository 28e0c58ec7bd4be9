"""Disputes: within 7 days of a confirmation the receiver or the home's staff may question a
service (so may a supervisor of the
home); a supervisor of the home who did not open it decides (four eyes). Upheld, a reversing
TIME entry takes the hours back from the volunteer (hours under dispute cannot be spent, so the
volunteer still holds them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from market import clock, hooks
from market.accounts.service import role_in_home
from market.database import use_case
from market.ledger import time_entries
from market.ledger.service import LedgerError
from market.timebank.common import (
    DISPUTE_DAYS,
    TimeBankError,
    TimeBankForbidden,
    TimeBankNotFound,
    home_or_404,
    is_own,
)
from market.timebank.hours import service_in
from models import db
from models.timebank import Service, TimeDispute


@use_case
def open_dispute(actor, home_id: int, service_id: int, reason: str,
                 now: datetime | None = None) -> TimeDispute:
    home = home_or_404(home_id)
    service = service_in(home.id, service_id)
    role = role_in_home(actor, home.id)
    if role is None and not is_own(actor, service.receiver):
        raise TimeBankNotFound(_("No such service in this home."))
    if service.status != "confirmed":
        raise TimeBankError(_("Only a confirmed service can be disputed."))
    if (now or clock.now()) - service.confirmed_at > timedelta(days=DISPUTE_DAYS):
        raise TimeBankError(_("A service can be disputed only within 7 days of its confirmation."))
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise TimeBankError(_("Say what is wrong, in at most 500 characters."))
    if db.session.scalar(select(TimeDispute.id).where(TimeDispute.service_id == service.id)):
        raise TimeBankError(_("This service has already been disputed."))
    dispute = TimeDispute(home_id=home.id, service_id=service.id, reason=reason, status="open",
                          opened_by_id=actor.id, created_at=clock.now())
    db.session.add(dispute)
    db.session.commit()
    return dispute


def dispute_in(home_id: int, dispute_id) -> TimeDispute:
    found = db.session.get(TimeDispute, dispute_id) if isinstance(dispute_id, int) else None
    if found is None or found.home_id != home_id:
        raise TimeBankNotFound(_("No such dispute in this home."))
    return found


@use_case
def decide_dispute(actor, home_id: int, dispute_id: int, *, uphold: bool, comment: str = "") -> TimeDispute:
    home = home_or_404(home_id)
    role = role_in_home(actor, home.id)
    if role is None:
        raise TimeBankNotFound(_("No such dispute in this home."))
    dispute = dispute_in(home.id, dispute_id)
    if role != "supervisor":
        raise TimeBankForbidden(_("Only a supervisor of this home can decide a dispute."))
    if dispute.opened_by_id == actor.id:
        raise TimeBankError(_("Nobody can decide a dispute they opened. Ask another supervisor."))
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise TimeBankError(_("The comment is too long (at most 500 characters)."))
    if not uphold and not comment:
        raise TimeBankError(_("Say why the dispute is dismissed."))
    claimed = db.session.execute(
        update(TimeDispute).where(TimeDispute.id == dispute.id, TimeDispute.status == "open")
        .values(status="upheld" if uphold else "dismissed", decided_by_id=actor.id,
                decision_comment=comment, decided_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise TimeBankError(_("This dispute was already decided."))
    db.session.refresh(dispute)
    if uphold:
        service = dispute.service
        db.session.execute(update(Service).where(Service.id == service.id).values(status="reversed")
                           .execution_options(synchronize_session=False))
        try:
            entry = time_entries.post_reversal(home_id=home.id, volunteer_id=service.volunteer_id,
                                               minutes=service.minutes, dispute_id=dispute.id,
                                               service_id=service.id)
        except LedgerError as error:
            raise TimeBankError(str(error)) from None
        dispute.entry_id = entry.id
        hooks.time_reversed.send(service)
    db.session.commit()
    return dispute


def open_disputes(home_id: int) -> list[TimeDispute]:
    return list(db.session.scalars(select(TimeDispute).where(TimeDispute.home_id == home_id,
                                                             TimeDispute.status == "open")
                                   .order_by(TimeDispute.id)))
