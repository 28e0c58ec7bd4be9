"""The books against the operational records, for `flask ledger verify`: every paid order has
its sale entry, every succeeded refund its refund entry, every approved disbursement and
correction its entry, every confirmed time-bank service its TIME entry, and no entry points at
an order, refund, fund or time-bank record that does not exist.

Each check is one anti-join (counted, then at most a few ids named), so it costs a few queries
whatever the size of the books."""

from sqlalchemy import and_, exists, func, select

from market.ledger import accounts as codes
from models import (
    Correction,
    Disbursement,
    Donation,
    ElderPayout,
    Grant,
    MonthSettlement,
    Order,
    Payment,
    PaymentDifference,
    Refund,
    Settlement,
)
from models.ledger import Account, Posting
from models.ledger import JournalEntry as E
from models.timebank import (
    RecognitionAward,
    RecognitionBudget,
    Service,
    TimeAllocation,
    TimeDispute,
    TimeTransfer,
)

SHOWN = 5
PAID_STATUSES = ("paid", "fulfilled", "refunded", "partially_refunded")
SOURCES = {"donation": Donation, "grant": Grant, "disbursement": Disbursement, "settlement": Settlement,
           "correction": Correction, "month_settlement": MonthSettlement, "elder_payout": ElderPayout,
           "payment_difference": PaymentDifference,
           "timebank_service": Service, "timebank_transfer": TimeTransfer, "timebank_dispute": TimeDispute,
           "timebank_allocation": TimeAllocation, "timebank_recognition": RecognitionAward}


def _ids(session, query) -> list[int]:
    return list(session.scalars(query.limit(SHOWN + 1)))


def _named(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:SHOWN])
    return shown + (", …" if len(ids) > SHOWN else "")


# Records that must each have an entry naming them (source_type, source_id): the record, its
# source type, which of its rows count, and the problem's words.
_NEEDS_ENTRY = (
    (Disbursement, "disbursement", Disbursement.status == "approved",
     "approved disbursements without an entry"),
    (Grant, "grant", Grant.status == "confirmed", "confirmed grants without an entry"),
    (Correction, "correction", Correction.status == "approved",
     "approved corrections without a reversing entry"),
    (MonthSettlement, "month_settlement", None, "monthly settlements without an entry"),
    (ElderPayout, "elder_payout", ElderPayout.status == "approved",
     "signed-off elder payouts without an entry"),
    (PaymentDifference, "payment_difference", PaymentDifference.kind == "extra",
     "extra offline payments without their care-fund entry"),
    (Service, "timebank_service", Service.status.in_(("confirmed", "reversed")),
     "confirmed time-bank services without an entry"),
)


def _without_entry(session, model, source_type: str, condition, problem: str) -> list[str]:
    """Rows of `model` matching `condition` that no entry names as its source."""
    query = select(model.id).where(
        ~exists().where(and_(E.source_type == source_type, E.source_id == model.id)))
    if condition is not None:
        query = query.where(condition)
    missing = _ids(session, query.order_by(model.id))
    return [f"{problem}: {_named(missing)}"] if missing else []


def problems(session) -> list[str]:
    found = []
    missing_sale = _ids(session, select(Order.id).where(
        Order.status.in_(PAID_STATUSES), Order.total_fen > 0,
        ~exists().where(and_(E.order_id == Order.id, E.kind == "sale")),
    ).order_by(Order.id))
    if missing_sale:
        found.append(f"paid orders without a sale entry: {_named(missing_sale)}")
    # Money that arrived not as expected is given back in full and never entered the books.
    outside_books = select(Payment.id).where(Payment.status.in_(("needs_review", "returned")))
    missing_refund = _ids(session, select(Refund.id).where(
        Refund.status == "succeeded", Refund.amount_fen > 0, Refund.payment_id.not_in(outside_books),
        ~exists().where(and_(E.refund_id == Refund.id, E.kind == "refund")),
    ).order_by(Refund.id))
    if missing_refund:
        found.append(f"succeeded refunds without a refund entry: {_named(missing_refund)}")
    for model, source_type, condition, problem in _NEEDS_ENTRY:
        found += _without_entry(session, model, source_type, condition, problem)
    found += _fee_pairs(session)

    found += _recognition_problems(session)

    dangling = _ids(session, select(E.seq).where(
        E.order_id.is_not(None), ~exists().where(Order.id == E.order_id)).order_by(E.seq))
    if dangling:
        found.append(f"entries naming an order that does not exist: seq {_named(dangling)}")
    dangling = _ids(session, select(E.seq).where(
        E.refund_id.is_not(None), ~exists().where(Refund.id == E.refund_id)).order_by(E.seq))
    if dangling:
        found.append(f"entries naming a refund that does not exist: seq {_named(dangling)}")
    for source_type, model in SOURCES.items():
        dangling = _ids(session, select(E.seq).where(
            E.source_type == source_type, ~exists().where(model.id == E.source_id)).order_by(E.seq))
        if dangling:
            found.append(f"entries naming a {source_type} that does not exist: seq {_named(dangling)}")
    return found


def _recognition_problems(session) -> list[str]:
    """Every recognition handed over has its money entry, from an approved budget, and no
    budget has paid out more than it was approved for."""
    found = []
    missing = _ids(session, select(RecognitionAward.id).where(
        ~exists().where(and_(E.source_type == "timebank_recognition", E.source_id == RecognitionAward.id)),
    ).order_by(RecognitionAward.id))
    if missing:
        found.append(f"recognitions handed over without an entry: {_named(missing)}")
    spent = (select(func.coalesce(func.sum(RecognitionAward.value_fen), 0))
             .where(RecognitionAward.budget_id == RecognitionBudget.id).scalar_subquery())
    over = _ids(session, select(RecognitionBudget.id).where(
        (RecognitionBudget.status != "approved")
        & exists().where(RecognitionAward.budget_id == RecognitionBudget.id)
        | (spent > RecognitionBudget.amount_fen)).order_by(RecognitionBudget.id))
    if over:
        found.append(f"recognition budgets spent beyond their approval: {_named(over)}")
    return found


def _fee_pairs(session) -> list[str]:
    """Offline sales' fees: what each home owes (its fees_payable) equals what the platform is
    owed by that home (fees_receivable postings of entries of that home)."""
    def by_home(code, home_column):
        rows = session.execute(
            select(home_column, func.sum(Posting.amount)).select_from(Posting)
            .join(Account, Account.id == Posting.account_id).join(E, E.id == Posting.entry_id)
            .where(Account.code == code).group_by(home_column)).all()
        return {home: int(total) for home, total in rows if int(total)}
    payable = by_home(codes.FEES_PAYABLE, Account.home_id)
    receivable = by_home(codes.FEES_RECEIVABLE, E.home_id)
    wrong = sorted(h for h in payable.keys() | receivable.keys()
                   if payable.get(h, 0) != -receivable.get(h, 0))
    if wrong:
        return [f"fees owed by homes and to the platform differ for home {_named(wrong)}"]
    return []
