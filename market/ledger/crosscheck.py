"""The books against the operational records, for `flask ledger verify`: every paid order has
its sale entry, every succeeded refund its refund entry, every approved disbursement and
correction its entry, every confirmed time-bank service its TIME entry, and no entry points at
an order, refund, fund or time-bank record that does not exist.

Each check is one anti-join (counted, then at most a few ids named), so it costs a few queries
whatever the size of the books."""

from sqlalchemy import and_, exists, select

from models import (
    Correction,
    Disbursement,
    Donation,
    Grant,
    Order,
    Payment,
    PaymentDifference,
    Refund,
    Settlement,
)
from models.ledger import JournalEntry as E
from models.timebank import Service, TimeAllocation, TimeDispute, TimeTransfer

SHOWN = 5
PAID_STATUSES = ("paid", "fulfilled", "refunded", "partially_refunded")
SOURCES = {"donation": Donation, "grant": Grant, "disbursement": Disbursement, "settlement": Settlement,
           "correction": Correction, "payment_difference": PaymentDifference,
           "timebank_service": Service, "timebank_transfer": TimeTransfer, "timebank_dispute": TimeDispute,
           "timebank_allocation": TimeAllocation}


def _ids(session, query) -> list[int]:
    return list(session.scalars(query.limit(SHOWN + 1)))


def _named(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:SHOWN])
    return shown + (", …" if len(ids) > SHOWN else "")


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
    missing_spend = _ids(session, select(Disbursement.id).where(
        Disbursement.status == "approved",
        ~exists().where(and_(E.source_type == "disbursement", E.source_id == Disbursement.id)),
    ).order_by(Disbursement.id))
    if missing_spend:
        found.append(f"approved disbursements without an entry: {_named(missing_spend)}")
    missing_grant = _ids(session, select(Grant.id).where(
        Grant.status == "confirmed",
        ~exists().where(and_(E.source_type == "grant", E.source_id == Grant.id)),
    ).order_by(Grant.id))
    if missing_grant:
        found.append(f"confirmed grants without an entry: {_named(missing_grant)}")
    missing_reversal = _ids(session, select(Correction.id).where(
        Correction.status == "approved",
        ~exists().where(and_(E.source_type == "correction", E.source_id == Correction.id)),
    ).order_by(Correction.id))
    if missing_reversal:
        found.append(f"approved corrections without a reversing entry: {_named(missing_reversal)}")

    missing_extra = _ids(session, select(PaymentDifference.id).where(
        PaymentDifference.kind == "extra",
        ~exists().where(and_(E.source_type == "payment_difference", E.source_id == PaymentDifference.id)),
    ).order_by(PaymentDifference.id))
    if missing_extra:
        found.append(f"extra offline payments without their care-fund entry: {_named(missing_extra)}")

    missing_hours = _ids(session, select(Service.id).where(
        Service.status.in_(("confirmed", "reversed")),
        ~exists().where(and_(E.source_type == "timebank_service", E.source_id == Service.id)),
    ).order_by(Service.id))
    if missing_hours:
        found.append(f"confirmed time-bank services without an entry: {_named(missing_hours)}")

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
