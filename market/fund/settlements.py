"""Settlements: money the platform pays out to a home from its operations or elder-incentive
account, recorded by an administrator."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from market import clock
from market.fund import month_settlements
from market.fund.service import FundError, FundForbidden, _check_day, _home, check_amount
from market.ledger import fund_entries
from market.ledger import service as ledger
from market.money import format_money
from models import db
from models.fund import (
    SETTLEMENT_ACCOUNTS,
    Settlement,
)


def apply_record_settlement(home_id: int, user, *, account_code: str, amount_fen: int, paid_on: date,
                            reference: str = "") -> Settlement:
    if not getattr(user, "is_admin", False):
        raise FundForbidden(_("Only an administrator can record a settlement."))
    home = _home(home_id)
    if account_code not in SETTLEMENT_ACCOUNTS:
        raise FundError(_("Choose the account the money was paid from."))
    amount = check_amount(amount_fen)
    _check_day(home, paid_on, _("Give the date the money was paid."))
    owed = ledger.home_balances(home.id, per_elder=True).get(account_code, 0)  # the pooled account
    if amount > owed:
        raise FundError(_("That is more than the home is owed on this account (%(owed)s).",
                          owed=format_money(owed)))
    # Money of offline sales is already with the home: the platform pays out only what it holds.
    held = month_settlements.holdings(home.id).platform_holds
    if amount > held:
        raise FundError(_("The platform holds only %(held)s of this home's money; the rest is already "
                          "with the home.", held=format_money(max(held, 0))))
    settlement = Settlement(home_id=home.id, account_code=account_code, amount_fen=amount,
                            paid_on=paid_on, reference=(reference or "").strip()[:120],
                            recorded_by_id=user.id, created_at=clock.now())
    db.session.add(settlement)
    db.session.flush()
    try:
        entry = fund_entries.post_settlement(home_id=home.id, amount_fen=amount, settlement_id=settlement.id,
                                       account_code=account_code,
                                       memo=f"Settlement paid to the home ({account_code})")
    except ledger.LedgerError as error:
        raise FundError(_("The ledger refused this settlement: %(reason)s", reason=str(error))) from None
    if entry is not None:
        settlement.entry_id = entry.id
    return settlement


def record_settlement(home_id: int, user, **fields) -> Settlement:
    try:
        settlement = apply_record_settlement(home_id, user, **fields)
    except FundError:
        db.session.rollback()
        raise
    db.session.commit()
    return settlement


def home_settlements(home_id: int, limit: int = 100) -> list[Settlement]:
    query = select(Settlement).where(Settlement.home_id == home_id).order_by(Settlement.id.desc())
    return list(db.session.scalars(query.limit(limit)))
