"""Subsidies and grants paid to a home from outside (government, township, village collective,
…), recorded by a supervisor or an administrator into the available care fund."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from market import clock
from market.fund.service import FundError, FundForbidden, _check_day, _home, _member_role, check_amount
from market.ledger import entries
from market.ledger import service as ledger
from models import db
from models.fund import (
    GRANT_SOURCES,
    Grant,
)


def _can_record_grant(user, home_id: int) -> None:
    if getattr(user, "is_admin", False):
        return
    role = _member_role(user, home_id)
    if role != "supervisor":
        raise FundForbidden(_("Only a supervisor of this home or an administrator can record a grant."))


def apply_record_grant(home_id: int, user, *, source: str, source_name: str, amount_fen: int,
                       received_on: date, note: str = "") -> Grant:
    home = _home(home_id)
    _can_record_grant(user, home.id)
    if source not in GRANT_SOURCES:
        raise FundError(_("Choose where the money came from."))
    name = (source_name or "").strip()
    if not name:
        raise FundError(_("Give the name of the source, for example the township government."))
    amount = check_amount(amount_fen)
    _check_day(home, received_on, _("Give the date the money was received."))
    grant = Grant(home_id=home.id, source=source, source_name=name[:120], amount_fen=amount,
                  received_on=received_on, note=(note or "").strip(), recorded_by_id=user.id,
                  created_at=clock.now())
    db.session.add(grant)
    db.session.flush()
    try:
        entry = entries.post_grant(home_id=home.id, amount_fen=amount, grant_id=grant.id, source=source,
                                  memo=f"Grant from {name} ({source})")
    except ledger.LedgerError as error:
        raise FundError(_("The ledger refused this grant: %(reason)s", reason=str(error))) from None
    if entry is not None:
        grant.entry_id = entry.id
    return grant


def record_grant(home_id: int, user, **fields) -> Grant:
    try:
        grant = apply_record_grant(home_id, user, **fields)
    except FundError:
        db.session.rollback()
        raise
    db.session.commit()
    return grant


def home_grants(home_id: int, limit: int = 100) -> list[Grant]:
    query = select(Grant).where(Grant.home_id == home_id).order_by(Grant.id.desc()).limit(limit)
    return list(db.session.scalars(query))


