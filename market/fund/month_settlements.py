"""The monthly settlement between a home and the platform, and who holds what.

Offline sales leave the money with the home, which owes the platform its fee; online sales
leave it with the platform, which owes the home its operations and elder-incentive shares.
Once a month (Beijing months) the two are set against each other and the difference is paid
one way, in cash or by transfer: `record_month_settlement` books it as one balanced entry
(`market.ledger.offline.post_month_settlement`), once per home and month. Only an
administrator (the platform's side) records it; the home's members see the figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from market import clock
from market.fund.service import FundError, FundForbidden, _check_day, _home
from market.ledger import accounts as codes
from market.ledger import offline
from market.ledger import service as ledger
from models import db
from models.fund import SETTLEMENT_METHODS, MonthSettlement
from models.ledger import Account, JournalEntry, Posting

MONTH = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")


def check_month(text, home) -> str:
    """'2026-11' for a month that has ended (Beijing calendar, from 2000 on); FundError else."""
    value = str(text or "").strip()
    if not MONTH.match(value):
        raise FundError(_("Give the month as year and month, for example 2026-11."))
    if value >= clock.local_today(home=home).strftime("%Y-%m"):
        raise FundError(_("A month can be settled only after it has ended."))
    return value


def previous_month(today: date) -> str:
    first = today.replace(day=1)
    return (date(first.year - 1, 12, 1) if first.month == 1 else first.replace(month=first.month - 1)
            ).strftime("%Y-%m")


def first_day(month: str) -> date:
    """'2026-11' -> 2026-11-01 (for showing a month in words)."""
    return date(int(month[:4]), int(month[5:7]), 1)


def find(home_id: int, month: str) -> MonthSettlement | None:
    return db.session.scalar(select(MonthSettlement).where(
        MonthSettlement.home_id == home_id, MonthSettlement.month == month,
        MonthSettlement.currency == "CNY"))


def apply_record_month_settlement(home_id: int, user, *, month: str, method: str, paid_by: str,
                                  paid_on: date, reference: str = "") -> tuple[MonthSettlement, bool]:
    """(settlement, created). A month already settled gives back its record and posts nothing
    (idempotent per home and month). Never commits."""
    if not getattr(user, "is_admin", False):
        raise FundForbidden(_("Only an administrator can record a settlement."))
    home = _home(home_id)
    month = check_month(month, home)
    if method not in SETTLEMENT_METHODS:
        raise FundError(_("Choose how the money was paid: cash or transfer."))
    paid_by = " ".join(str(paid_by or "").split())
    if not paid_by or len(paid_by) > 120:
        raise FundError(_("Give the name of the person who paid (at most 120 characters)."))
    _check_day(home, paid_on, _("Give the date the money was paid."))
    ledger.lock_ledger()
    existing = find(home.id, month)
    if existing is not None:
        return existing, False
    figures = offline.month_figures(home.id, month)
    balances = ledger.home_balances(home.id, per_elder=True)
    # What the platform owes cannot be more than is still owed (a settlement paid by hand earlier,
    # which only the operations and pooled incentive accounts have). The elders' own incentive
    # is handed over as money only: their accounts wait for the payouts (elder_pay.py).
    operations = min(figures["operations"], max(0, balances.get(codes.HOME_OPERATIONS, 0)))
    pooled = min(figures["pooled"], max(0, balances.get(codes.ELDER_INCENTIVE, 0)))
    elders = figures["elders"]
    incentive = pooled + elders
    fees = figures["fees"]
    if fees == 0 and operations == 0 and incentive == 0:
        raise FundError(_("There is nothing to settle for this month."))
    settlement = MonthSettlement(
        home_id=home.id, month=month, fees_fen=fees, operations_fen=operations, incentive_fen=incentive,
        net_fen=fees - operations - incentive, method=method, paid_by=paid_by, paid_on=paid_on,
        reference=" ".join(str(reference or "").split())[:120], recorded_by_id=user.id,
        created_at=clock.now())
    db.session.add(settlement)
    db.session.flush()
    try:
        entry = offline.post_month_settlement(
            home_id=home.id, month=month, settlement_id=settlement.id, fees=fees, operations=operations,
            incentive=pooled, elders=elders,
            memo=f"Monthly settlement {month} between the home and the platform")
    except ledger.LedgerError as error:
        raise FundError(_("The ledger refused this settlement: %(reason)s", reason=str(error))) from None
    if entry is not None:
        settlement.entry_id = entry.id
    return settlement, True


def record_month_settlement(home_id: int, user, **fields) -> tuple[MonthSettlement, bool]:
    try:
        result = apply_record_month_settlement(home_id, user, **fields)
    except FundError:
        db.session.rollback()
        raise
    db.session.commit()
    return result


# ---- who holds what ---------------------------------------------------------------------------

@dataclass
class Holdings:
    platform_holds: int  # the home's money from online sales the platform still holds
    home_holds: int  # money of the books in the home's own hands (offline sales, settlements)
    owed_to_elders: int  # incentives not yet paid to the elders (pooled and each elder's own)
    fees_owed: int  # fees the home owes the platform for offline sales, not yet settled
    last_month: str
    last_month_first: date
    last_month_fees: int  # of which for last month (0 once last month is settled)
    last_month_settled: MonthSettlement | None


def _online_home_shares(home_id: int) -> int:
    """The home's shares (care fund, elders, operations) of sales and refunds paid through the
    platform: entries with a payments_clearing posting."""
    clearing = (select(Posting.entry_id).join(Account, Account.id == Posting.account_id)
                .where(Account.code == codes.PAYMENTS_CLEARING))
    total = db.session.scalar(
        select(func.coalesce(func.sum(Posting.amount), 0))
        .join(Account, Account.id == Posting.account_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Account.home_id == home_id, Account.commodity == "CNY",
               Account.code.in_((codes.CARE_PENDING, codes.CARE_AVAILABLE, codes.ELDER_INCENTIVE,
                                 codes.HOME_OPERATIONS))
               | Account.code.startswith(codes.ELDER_PREFIX, autoescape=True),
               JournalEntry.kind.in_(offline.SALE_KINDS), JournalEntry.id.in_(clearing))
    )
    return -int(total or 0)


def _elders_handed_over(home_id: int) -> int:
    """The elders' own incentive the platform handed to the home in monthly settlements (their
    home_cash postings tagged share "incentive")."""
    return int(db.session.scalar(
        select(func.coalesce(func.sum(Posting.amount), 0))
        .join(Account, Account.id == Posting.account_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Account.home_id == home_id, Account.code == codes.HOME_CASH, Account.commodity == "CNY",
               Posting.share == codes.SHARE_INCENTIVE, JournalEntry.source_type == "month_settlement")
    ) or 0)


def holdings(home_id: int) -> Holdings:
    """Who holds what for a home, from the ledger. The platform holds the home's shares of online
    sales less what it has paid out to the home (settlements); care-fund spending is shown
    separately on the fund page."""
    home = _home(home_id)
    balances = ledger.home_balances(home.id)
    last = previous_month(clock.local_today(home=home))
    settled = find(home.id, last)
    last_fees = 0 if settled else offline.month_figures(home.id, last)["fees"]
    return Holdings(
        platform_holds=(_online_home_shares(home.id) - balances.get(codes.SETTLEMENTS_PAID, 0)
                        - _elders_handed_over(home.id)),
        owed_to_elders=balances.get(codes.ELDER_INCENTIVE, 0),
        home_holds=balances.get(codes.HOME_CASH, 0),
        fees_owed=balances.get(codes.FEES_PAYABLE, 0),
        last_month=last, last_month_first=first_day(last), last_month_fees=last_fees,
        last_month_settled=settled,
    )
