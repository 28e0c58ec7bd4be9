"""The `offline` provider (the default): cash on arrival or a transfer to the home.

Nothing is charged online. The order page shows how to pay and a short reference; the home's
staff confirm the money arrived (`confirm`, through `market.orders.lifecycle.mark_paid_offline`),
recording who, when, the method and the amount, which must equal the order's total. Refunds are
handed back by the home and recorded as settled at once (the ledger takes the money out of the
home's cash then); staff later record that the money reached the buyer (`record_handed_back`:
how, by whom, when), which the buyer's order page shows.
"""

from flask import current_app
from flask_babel import gettext as _

from market.payments.providers import PaymentProvider, StartResult
from market.payments.service import PaymentError, apply_record_payment, apply_settle_refund

METHODS = ("cash", "transfer", "other")


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

    def confirm(self, order, *, actor, method: str, amount_fen: int, **_details):
        """A member of staff (`actor`) received `amount_fen` by `method`, now."""
        if method not in METHODS:
            raise PaymentError(_("Please choose how the money was paid."))
        if amount_fen != order.total_fen:
            raise PaymentError(_("The amount received must equal the order total."))
        return apply_record_payment(order, self.name, amount_fen, order.currency, method, actor=actor)

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
