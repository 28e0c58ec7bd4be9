"""Per-elder earnings and payouts (issue 16).

Each sale line crediting an elder puts its incentive share in that elder's own ledger account
(`elder_incentive:<elder id>`, market/ledger/accounts.py); a refund takes it back from the same
account. A payout is recorded by one member of the home (how much, to whom, how, who handed it
over, when) and signed off by another (`service.check_decider`: a supervisor who did not record
it, or the administrator when the home has no other supervisor); only the sign-off posts the
ledger entry (`fund_entries.post_elder_payout`). The recorder may withdraw it until then.
The sheet (`elder_sheet`) lists an elder's earnings per order line, the payouts and the balance,
read from the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from market import clock
from market.fund.service import (
    FundError,
    FundNotFound,
    _check_day,
    _home,
    _member_role,
    check_amount,
    check_decider,
    claim_proposal,
    status_label,
)
from market.i18n import is_english
from market.ledger import accounts as codes
from market.ledger import fund_entries
from market.ledger import service as ledger
from market.money import format_money
from models import Elder, Listing, Order, OrderLine, db
from models.fund import ELDER_PAYOUT_METHODS, ElderPayout
from models.ledger import Account, JournalEntry, Posting

NOTE_MAX = 200


def home_elder(home_id: int, elder_id) -> Elder:
    """An elder of this home; FundNotFound for an unknown elder or another home's."""
    elder = db.session.get(Elder, elder_id) if isinstance(elder_id, int) and 0 < elder_id < 2**31 else None
    if elder is None or elder.home_id != home_id:
        raise FundNotFound(_("There is no such elder in this home."))
    return elder


def elder_balance(home_id: int, elder_id: int) -> int:
    """What the ledger says the home owes the elder now (fen)."""
    found = db.session.scalar(select(Account).where(
        Account.home_id == home_id, Account.code == codes.elder_code(elder_id), Account.commodity == "CNY"))
    return ledger.balance(found) if found is not None else 0


def _waiting(elder_id: int, but: int | None = None) -> int:
    """Payouts to the elder recorded but not yet signed off (they will come off the balance)."""
    query = select(func.coalesce(func.sum(ElderPayout.amount_fen), 0)).where(
        ElderPayout.elder_id == elder_id, ElderPayout.status == "proposed")
    if but is not None:
        query = query.where(ElderPayout.id != but)
    return int(db.session.scalar(query) or 0)


def _check_fits(home_id: int, elder_id: int, amount: int, but: int | None = None) -> None:
    left = elder_balance(home_id, elder_id) - _waiting(elder_id, but)
    if amount > left:
        raise FundError(_("That is more than the elder is owed (%(left)s, after payouts waiting for "
                          "sign-off).", left=format_money(max(left, 0))))


def record_payout(home_id: int, user, *, elder_id, amount_fen, method: str, paid_by: str, paid_on: date,
                  note: str = "") -> ElderPayout:
    """A member of the home records money paid to an elder; nothing posts until sign-off."""
    try:
        home = _home(home_id)
        _member_role(user, home.id)
        elder = home_elder(home.id, elder_id)
        amount = check_amount(amount_fen)
        if method not in ELDER_PAYOUT_METHODS:
            raise FundError(_("Choose how the money was paid: cash, bank transfer, WeChat or other."))
        paid_by = " ".join(str(paid_by or "").split())
        if not paid_by or len(paid_by) > 120:
            raise FundError(_("Give the name of the person who paid (at most 120 characters)."))
        _check_day(home, paid_on, _("Give the date the money was paid."))
        note = " ".join(str(note or "").split())
        if len(note) > NOTE_MAX:
            raise FundError(_("At most %(num)d characters, please.", num=NOTE_MAX))
        ledger.lock_ledger()
        _check_fits(home.id, elder.id, amount)
        payout = ElderPayout(home_id=home.id, elder_id=elder.id, amount_fen=amount, method=method,
                             paid_by=paid_by, paid_on=paid_on, note=note, status="proposed",
                             recorded_by_id=user.id, created_at=clock.now())
        db.session.add(payout)
        db.session.flush()
    except FundError:
        db.session.rollback()
        raise
    db.session.commit()
    return payout


def get_payout(home_id: int, payout_id) -> ElderPayout:
    found = db.session.get(ElderPayout, payout_id) if isinstance(payout_id, int) else None
    if found is None or found.home_id != home_id:
        raise FundNotFound(_("No such payout in this home."))
    return found


def decide_payout(home_id: int, payout_id, user, *, approve: bool, comment: str = "") -> ElderPayout:
    """A second person signs the payout off (the ledger entry posts) or rejects it."""
    try:
        home = _home(home_id)
        payout = get_payout(home.id, payout_id)
        check_decider(home.id, payout.recorded_by_id, user)
        if payout.status != "proposed":
            raise FundError(_("This payout was already %(status)s.", status=status_label(payout.status)))
        comment = (comment or "").strip()
        if not approve and not comment:
            raise FundError(_("Say why the payout is rejected."))
        if approve:
            ledger.lock_ledger()
            _check_fits(home.id, payout.elder_id, payout.amount_fen, but=payout.id)
        claim_proposal(payout, _("This payout was decided by someone else just now."),
                       status="approved" if approve else "rejected", decided_by_id=user.id,
                       decision_comment=comment[:2000], decided_at=clock.now())
        if approve:
            try:
                entry = fund_entries.post_elder_payout(
                    home_id=home.id, elder_id=payout.elder_id, amount_fen=payout.amount_fen,
                    payout_id=payout.id, memo=f"Incentive paid to an elder ({payout.method})")
            except ledger.LedgerError as error:
                raise FundError(str(error)) from None
            payout.entry_id = entry.id
    except FundError:
        db.session.rollback()
        raise
    db.session.commit()
    return payout


def withdraw_payout(home_id: int, payout_id, user) -> ElderPayout:
    """The recorder takes back a payout nobody has signed off yet."""
    try:
        home = _home(home_id)
        _member_role(user, home.id)
        payout = get_payout(home.id, payout_id)
        if payout.recorded_by_id != user.id:
            raise FundError(_("Only the person who recorded it can withdraw it."))
        if payout.status != "proposed":
            raise FundError(_("This payout was already %(status)s.", status=status_label(payout.status)))
        claim_proposal(payout, _("This payout was decided by someone else just now."),
                       status="withdrawn", decided_at=clock.now())
    except FundError:
        db.session.rollback()
        raise
    db.session.commit()
    return payout


def waiting_payouts(home_id: int, limit: int = 50) -> list[ElderPayout]:
    query = select(ElderPayout).where(ElderPayout.home_id == home_id, ElderPayout.status == "proposed")
    return list(db.session.scalars(query.order_by(ElderPayout.id).limit(limit)))


def elders_owed(home_id: int) -> list[tuple[Elder, int]]:
    """Every elder of the home with what the ledger says the home owes them (one query)."""
    rows = db.session.execute(
        select(Account.code, func.coalesce(func.sum(Posting.amount), 0))
        .join(Posting, Posting.account_id == Account.id)
        .where(Account.home_id == home_id, Account.commodity == "CNY",
               Account.code.startswith(codes.ELDER_PREFIX, autoescape=True))
        .group_by(Account.code)
    ).all()
    owed = {codes.elder_of_code(code): -int(total) for code, total in rows}
    elders = db.session.scalars(select(Elder).where(Elder.home_id == home_id).order_by(Elder.id))
    return [(elder, owed.get(elder.id, 0)) for elder in elders]


# ---- the sheet ----------------------------------------------------------------------------------

@dataclass
class Earning:
    seq: int
    occurred_at: datetime
    kind: str  # sale | refund
    listing: str
    order_reference: str
    amount: int  # fen, a refund below zero


@dataclass
class Sheet:
    elder: Elder
    earnings: list[Earning] = field(default_factory=list)
    payouts: list[ElderPayout] = field(default_factory=list)
    paid_seq: dict[int, int] = field(default_factory=dict)  # payout id -> its entry's seq
    earned: int = 0
    paid: int = 0
    balance: int = 0  # from the ledger


def elder_sheet(home_id: int, elder_id) -> Sheet:
    """An elder's earnings per order line, payouts and balance, from the ledger."""
    home = _home(home_id)
    elder = home_elder(home.id, elder_id)
    code = codes.elder_code(elder.id)
    rows = db.session.execute(
        select(JournalEntry.seq, JournalEntry.occurred_at, JournalEntry.kind, Posting.amount,
               Listing.title_zh, Listing.title_en, Order.reference)
        .select_from(Posting)
        .join(Account, Account.id == Posting.account_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .outerjoin(OrderLine, OrderLine.id == Posting.order_line_id)
        .outerjoin(Listing, Listing.id == OrderLine.listing_id)
        .outerjoin(Order, Order.id == OrderLine.order_id)
        .where(Account.home_id == home.id, Account.code == code, JournalEntry.kind.in_(("sale", "refund")))
        .order_by(JournalEntry.seq, Posting.id)
    ).all()
    sheet = Sheet(elder=elder)
    for seq, occurred, kind, amount, title_zh, title_en, reference in rows:
        title = (title_en or title_zh) if is_english() else (title_zh or title_en)
        sheet.earnings.append(Earning(seq=seq, occurred_at=occurred, kind=kind, listing=title or "",
                                      order_reference=reference or "", amount=-int(amount)))
    sheet.earned = sum(e.amount for e in sheet.earnings)
    sheet.payouts = list(db.session.scalars(
        select(ElderPayout).where(ElderPayout.elder_id == elder.id, ElderPayout.home_id == home.id)
        .order_by(ElderPayout.paid_on, ElderPayout.id)))
    entry_ids = [p.entry_id for p in sheet.payouts if p.entry_id]
    if entry_ids:
        seqs = dict(db.session.execute(select(JournalEntry.id, JournalEntry.seq)
                                       .where(JournalEntry.id.in_(entry_ids))).all())
        sheet.paid_seq = {p.id: seqs[p.entry_id] for p in sheet.payouts if p.entry_id in seqs}
    sheet.paid = sum(p.amount_fen for p in sheet.payouts if p.status == "approved")
    sheet.balance = elder_balance(home.id, elder.id)
    return sheet


def method_label(method: str) -> str:
    return {"cash": _("Cash"), "transfer": _("Bank transfer"), "wechat": _("WeChat"),
            "other": _("Other")}.get(method, method)
