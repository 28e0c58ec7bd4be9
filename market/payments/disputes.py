"""Bank disputes of a payment (chargebacks and inquiries): recorded once, decided once.

Opened: the dispute is stored and the order flagged (`hooks.payment_disputed`). Lost: the bank
gave the money back to the buyer, so it is recorded as a settled refund of what was left to refund
(`initiated_by="dispute"`, split over the lines in proportion): `refund_settled` marks the order
refunded (or partly) and the ledger posts the reversal, the care fund giving back its share as for
any refund. Won, or closed without a chargeback (an inquiry closed, a dispute prevented): the
dispute's flag on the order is cleared. A dispute that changes its outcome after that (an appeal)
is for a person: the order is flagged. Functions prefixed `apply_` never commit.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from market import clock, hooks
from market.database import lock_one
from market.payments.service import apply_flag, apply_settle_refund, refundable_by_line, rescale
from models import Dispute, Order, Payment, Refund, db
from models.payments import DISPUTE_TRANSITIONS, DisputeStatus

# Stripe's final statuses, as we read them (the others mean the bank is still deciding).
OUTCOMES = {
    "won": DisputeStatus.WON,
    "lost": DisputeStatus.LOST,
    "warning_closed": DisputeStatus.CLOSED,
    "prevented": DisputeStatus.CLOSED,
}


def move_dispute(dispute: Dispute, status: DisputeStatus) -> None:
    if status not in DISPUTE_TRANSITIONS[dispute.status]:
        raise ValueError(f"dispute {dispute.id}: {dispute.status} cannot become {status}")
    dispute.status = status


def apply_dispute(payment: Payment, obj: dict) -> str:
    """Record what the provider's dispute `obj` says about `payment` (the order and the payment
    locked by the caller). Returns a short note."""
    order = db.session.get(Order, payment.order_id)
    ref = obj["id"]
    dispute = lock_one(select(Dispute).where(Dispute.provider_ref == ref))
    if dispute is None:
        dispute = Dispute(
            payment_id=payment.id, order_id=payment.order_id, provider_ref=ref, status=DisputeStatus.OPEN,
            provider_status=str(obj.get("status") or "")[:40], amount_fen=int(obj.get("amount") or 0),
            currency=(obj.get("currency") or payment.currency).upper(),
            reason=str(obj.get("reason") or "")[:80], created_at=clock.now())
        db.session.add(dispute)
        db.session.flush()
        hooks.payment_disputed.send(payment, reason=f"Stripe dispute {ref}: {dispute.reason or 'unknown'}")
    status = str(obj.get("status") or dispute.provider_status)[:40]
    outcome = OUTCOMES.get(status)
    if outcome is None or outcome == dispute.status:
        if dispute.status == DisputeStatus.OPEN:  # a late "needs_response" never undoes a decision
            dispute.provider_status = status
        return f"dispute {ref}: {status}"
    dispute.provider_status = status
    if dispute.status != DisputeStatus.OPEN:
        apply_flag(order, f"Stripe dispute {ref} was {dispute.status}, now {dispute.provider_status}: "
                          "please check it")
        return f"dispute {ref}: {dispute.status}, now {dispute.provider_status}: flagged"
    move_dispute(dispute, outcome)
    dispute.closed_at = clock.now()
    if outcome == DisputeStatus.LOST:
        return _lost(order, payment, dispute)
    if order.flag and ref in order.flag:
        order.flag = None
    return f"dispute {ref} {outcome}: flag cleared"


def _lost(order: Order, payment: Payment, dispute: Dispute) -> str:
    """The buyer's bank took the money back: a settled refund of it, reversed in the books."""
    left = {line_id: fen for line_id, fen in refundable_by_line(order).items() if fen > 0}
    amount = min(dispute.amount_fen, sum(left.values()))
    if amount < dispute.amount_fen or dispute.currency != payment.currency:
        apply_flag(order, f"Stripe dispute {dispute.provider_ref} lost: {dispute.amount_fen} "
                          f"{dispute.currency} taken back, {amount} {payment.currency} left to refund: "
                          "please check it")
    if amount <= 0:
        return f"dispute {dispute.provider_ref} lost: nothing left to reverse"
    lines = rescale({str(k): v for k, v in sorted(left.items())}, amount)
    refund = Refund(
        payment_id=payment.id, payment=payment, order_id=order.id,
        idempotency_key=f"dispute-{dispute.provider_ref}"[:80], status="pending", amount_fen=amount,
        currency=payment.currency, lines_json=json.dumps(lines),
        reason=f"dispute {dispute.provider_ref} lost ({dispute.reason})", initiated_by="dispute")
    db.session.add(refund)
    db.session.flush()
    apply_settle_refund(refund, amount)
    dispute.refund_id = refund.id
    apply_flag(order, f"Stripe dispute {dispute.provider_ref} lost: {amount} returned to the buyer "
                      "by their bank")
    return f"dispute {dispute.provider_ref} lost: refund {refund.id} recorded"
