"""The `offline` provider (the default): cash on arrival or a transfer to the home.

Nothing is charged online. The order page shows how to pay and a short reference; the home's
staff confirm the money arrived (`confirm`, through `market.orders.lifecycle.mark_paid_offline`),
recording who, when, the method and the amount. Refunds are handed back by the home and
recorded as settled at once (the ledger takes the money out of the home's cash then); staff
later record that the money reached the buyer (`record_handed_back`: how, by whom, when), which
the buyer's order page shows.

An amount that differs from the order's total (docs/payments.md, "Offline payments at another
amount") needs a reason and is kept as a `PaymentDifference`:

- **less** (a discount the home granted): the order's lines are scaled down to what arrived by
  largest remainder (`allocation.scale_to`; each line's `discount_fen` says by how much), the
  order's total becomes what arrived, and the sale entry splits that (care fund, elder
  incentive, platform fee, home operations) as for any sale. Refunds can give back at most
  what was received.
- **more** (the buyer left the rest as a gift): the order is paid at its total and the extra goes
  wholly to the available care fund in its own entry (`entries.post_order_extra`).

Refused, with nothing changed: no reason, zero or negative, more than ten times the total.
"""

from flask import current_app
from flask_babel import gettext as _

from market.ledger.allocation import scale_to
from market.ledger.fund_entries import post_order_extra
from market.money import format_money
from market.payments.providers import PaymentProvider, StartResult
from market.payments.service import PaymentError, apply_record_payment, apply_settle_refund
from models import PaymentDifference, db

METHODS = ("cash", "transfer", "other")
MAX_TIMES_TOTAL = 10  # more than this many times the total is a typing mistake, not a gift
MAX_REASON = 500


def check_received(total_fen: int, amount_fen: int, reason: str, currency: str = "CNY") -> str:
    """The cleaned reason, or PaymentError with what to fix."""
    reason = (reason or "").strip()
    if amount_fen <= 0:
        raise PaymentError(_("The amount received must be more than zero."))
    if amount_fen > MAX_TIMES_TOTAL * total_fen:
        raise PaymentError(_("%(amount)s is more than ten times the order total of %(total)s. Please check "
                             "the amount.", amount=format_money(amount_fen, currency),
                             total=format_money(total_fen, currency)))
    if amount_fen != total_fen and not reason:
        raise PaymentError(_("The amount differs from the order total of %(total)s. Please write why, "
                             "such as “discount agreed with the buyer” or “the buyer gave the rest "
                             "to the care fund”.", total=format_money(total_fen, currency)))
    if len(reason) > MAX_REASON:
        raise PaymentError(_("Please keep the reason under 500 characters."))
    return reason


def apply_discount(order, received_fen: int) -> None:
    """Scale the order's lines down to `received_fen` less shipping (largest remainder by line
    amount); shipping is cut only if less than it arrived (the carrier costs the same)."""
    lines = sorted(order.lines, key=lambda line: line.id)
    order.shipping_fen = min(order.shipping_fen or 0, received_fen)
    scaled = scale_to({line.id: line.amount_fen for line in lines}, received_fen - order.shipping_fen)
    for line in lines:
        line.discount_fen = (line.discount_fen or 0) + line.amount_fen - scaled[line.id]
        line.amount_fen = scaled[line.id]
    order.total_fen = received_fen


class OfflineProvider(PaymentProvider):
    name = "offline"

    def label(self) -> str:
        return _("Pay the home directly (cash on arrival or bank transfer)")

    def hold_for(self, app) -> int:
        return int(app.config["OFFLINE_HOLD_HOURS"]) * 60

    def peek(self, order) -> StartResult:
        return self.start(order)  # instructions only: nothing is written

    def start(self, order) -> StartResult:
        hours = current_app.config["OFFLINE_HOLD_HOURS"]
        return StartResult(
            reference=order.reference,
            instructions=[
                _("Pay the home in cash when you arrive, or by bank transfer to the home."),
                _("Quote the reference %(reference)s with your payment.", reference=order.reference),
                _("We keep your booking for %(hours)d hours. The home marks it paid when the money "
                  "arrives.", hours=hours),
            ],
        )

    def confirm(self, order, *, actor, method: str, amount_fen: int, reason: str = "", **_details):
        """A member of staff (`actor`) received `amount_fen` by `method`, now; a different amount
        than the total with `reason` (see the module's docstring). Never commits."""
        if method not in METHODS:
            raise PaymentError(_("Please choose how the money was paid."))
        total = order.total_fen
        reason = check_received(total, amount_fen, reason, order.currency)
        if amount_fen == total:
            return apply_record_payment(order, self.name, amount_fen, order.currency, method, actor=actor)
        if amount_fen < total:
            apply_discount(order, amount_fen)
        payment = apply_record_payment(order, self.name, min(amount_fen, total), order.currency, method,
                                       actor=actor)
        home_id = order.home_id or order.lines[0].home_id
        difference = PaymentDifference(
            order_id=order.id, payment_id=payment.id, home_id=home_id,
            kind="discount" if amount_fen < total else "extra", amount_fen=abs(amount_fen - total),
            expected_fen=total, received_fen=amount_fen, currency=order.currency, reason=reason,
            recorded_by_id=getattr(actor, "id", None),
        )
        db.session.add(difference)
        db.session.flush()
        if difference.kind == "extra":
            post_order_extra(home_id=home_id, amount_fen=difference.amount_fen, order_id=order.id,
                             difference_id=difference.id, occurred_at=payment.confirmed_at,
                             memo=f"Order {order.reference}: {difference.amount_fen} more, to the care fund",
                             commodity=order.currency)
        return payment

    def refund(self, refund) -> None:
        # The home hands the money back; the record is settled when staff or the buyer cancel.
        apply_settle_refund(refund, refund.amount_fen)



HANDED_BACK_HOW = ("cash", "transfer")


def record_handed_back(refund, *, actor, how: str, now=None):
    """`apply_record_handed_back`, committed; nothing changes when it is refused."""
    from models import db

    try:
        apply_record_handed_back(refund, actor=actor, how=how, now=now)
    except PaymentError:
        db.session.rollback()
        raise
    db.session.commit()
    return refund


def apply_record_handed_back(refund, *, actor, how: str, now=None):
    """A member of the home's staff (`actor`) records that an offline refund's money was actually
    handed back to the buyer: how (cash or a transfer), by whom and when. Once per refund. The
    ledger entry was posted when the refund was made (the money left the home's cash then); this
    is the proof that it reached the buyer. Never commits."""
    from market import clock

    if refund.payment is None or refund.payment.provider != "offline" or refund.status != "succeeded":
        raise PaymentError(_("Only a refund of money paid to the home can be marked as handed back."))
    if refund.handed_back_at is not None:
        raise PaymentError(_("This refund was already marked as handed back."))
    if how not in HANDED_BACK_HOW:
        raise PaymentError(_("Choose how the money was handed back: cash or transfer."))
    refund.handed_back_at = now or clock.now()
    refund.handed_back_by_id = actor.id
    refund.handed_back_how = how
    return refund
