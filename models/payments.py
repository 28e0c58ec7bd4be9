from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    # Money arrived but not as expected (amount/currency mismatch): it is refunded in full.
    NEEDS_REVIEW = "needs_review"
    # Money that arrived not as expected and was given back in full (it never entered the books).
    RETURNED = "returned"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class DisputeStatus(StrEnum):
    """Our reading of a bank dispute (Stripe's own status is kept beside it)."""

    OPEN = "open"  # the bank is deciding (inquiry or chargeback)
    WON = "won"  # decided for the market: the money stays (or comes back)
    LOST = "lost"  # decided for the buyer: the money went back, a reversal is posted
    CLOSED = "closed"  # ended without a chargeback (an inquiry closed, a dispute prevented)


PAYMENT_STATUSES = tuple(PaymentStatus)
REFUND_STATUSES = tuple(RefundStatus)
DISPUTE_STATUSES = tuple(DisputeStatus)
# An attempt ends once; only a person moves a payment under review on. An attempt we cancelled
# (its order was cancelled) can still be paid at the provider: the money is recorded, then refunded.
PAYMENT_TRANSITIONS: dict[str, frozenset[PaymentStatus]] = {
    PaymentStatus.PENDING: frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.FAILED,
                                      PaymentStatus.CANCELLED, PaymentStatus.NEEDS_REVIEW}),
    PaymentStatus.SUCCEEDED: frozenset(),
    PaymentStatus.FAILED: frozenset(),
    PaymentStatus.CANCELLED: frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.NEEDS_REVIEW}),
    PaymentStatus.NEEDS_REVIEW: frozenset({PaymentStatus.RETURNED}),
    PaymentStatus.RETURNED: frozenset(),
}
# A dispute is decided once; an appeal after that is for a person (the order is flagged).
DISPUTE_TRANSITIONS: dict[str, frozenset[DisputeStatus]] = {
    DisputeStatus.OPEN: frozenset({DisputeStatus.WON, DisputeStatus.LOST, DisputeStatus.CLOSED}),
    DisputeStatus.WON: frozenset(),
    DisputeStatus.LOST: frozenset(),
    DisputeStatus.CLOSED: frozenset(),
}
# A refund settles or fails once (a provider that changes its mind later flags the order).
REFUND_TRANSITIONS: dict[str, frozenset[RefundStatus]] = {
    RefundStatus.PENDING: frozenset({RefundStatus.SUCCEEDED, RefundStatus.FAILED}),
    RefundStatus.SUCCEEDED: frozenset(),
    RefundStatus.FAILED: frozenset(),
}
# Who asked for a refund: the buyer, the home's staff, the market itself (a payment that came too
# late), someone at the payment provider (a refund made in the Stripe dashboard), or the buyer's
# bank (a dispute the market lost: the money went back without a refund request).
REFUND_INITIATORS = ("customer", "staff", "market", "provider", "dispute")


class Payment(db.Model):
    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount_fen >= 0", name="amount_nonneg"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    provider_ref: Mapped[str | None] = mapped_column(String(255), index=True)  # e.g. cs_…
    provider_charge_ref: Mapped[str | None] = mapped_column(String(255), index=True)  # pi_/ch_
    # One Stripe payment for a whole cart: the attempts of the cart's orders paid together by one
    # Checkout Session share this key (the session's idempotency key); None for one order alone.
    group_key: Mapped[str | None] = mapped_column(String(80), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    amount_fen: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    method: Mapped[str | None] = mapped_column(String(30))  # cash, transfer, card, alipay…
    # Stripe's processing fee, in the currency the charge settled in (a CNY charge on a Hong Kong
    # account settles in HKD): fee_fen is in minor units of fee_currency, not of `currency`.
    fee_fen: Mapped[int | None] = mapped_column(Integer)
    fee_currency: Mapped[str | None] = mapped_column(String(3))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the provider would not take this attempt: "refused: …" (for good: not tried again) or
    # "unanswered: …" (for now: tried again, not before retry_at).
    failure: Mapped[str | None] = mapped_column(Text)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # for the back-off

    order: Mapped["Order"] = relationship()  # noqa: F821
    refunds: Mapped[list["Refund"]] = relationship(back_populates="payment", order_by="Refund.id")


class Refund(db.Model):
    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    # Stored before the provider is called, so a retry can never refund twice.
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    provider_ref: Mapped[str | None] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    amount_fen: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    # JSON: {"<order_line_id>": fen, …}, how the refund splits over lines.
    lines_json: Mapped[str] = mapped_column(Text, default="{}")
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    initiated_by: Mapped[str] = mapped_column(String(20), default="staff")
    failure: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How often it was sent with a new key: after a provider's 5xx the key's answer is stored
    # (and replayed), so the next send uses `idempotency_key` + "-<send_attempt>".
    send_attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Offline refunds: the home's staff record that the money was actually handed back.
    handed_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handed_back_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handed_back_how: Mapped[str | None] = mapped_column(String(20))  # cash / transfer

    payment: Mapped[Payment] = relationship(back_populates="refunds")
    handed_back_by: Mapped["User"] = relationship(foreign_keys=[handed_back_by_id])  # noqa: F821


class Dispute(db.Model):
    """A buyer's bank disputing a payment (a chargeback or an inquiry), once per provider id."""

    __tablename__ = "disputes"
    __table_args__ = (CheckConstraint("amount_fen >= 0", name="amount_nonneg"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    provider_ref: Mapped[str] = mapped_column(String(255), unique=True)  # dp_…
    status: Mapped[str] = mapped_column(String(20), default="open")
    provider_status: Mapped[str] = mapped_column(String(40))  # Stripe's, e.g. needs_response
    amount_fen: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    reason: Mapped[str] = mapped_column(String(80), default="")
    # A lost dispute's money went back to the buyer: recorded as a settled refund (the ledger
    # reverses it like any refund).
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookEvent(db.Model):
    """Inbox of provider events: each stored once, processed once."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(80))
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    # The provider object the event waits on (Stripe: the PaymentIntent id), so an event that
    # arrived before the payment it refers to can be replayed once that payment is confirmed.
    object_ref: Mapped[str | None] = mapped_column(String(255), index=True)


DIFFERENCE_KINDS = ("discount", "extra")


class PaymentDifference(db.Model):
    """An offline payment whose amount differed from the order's total, and why.

    `discount`: the home accepted less; the order's lines were scaled down to what arrived
    (their `discount_fen` says by how much) and the sale was booked on that. `extra`: the buyer
    paid more; the order was paid at its total and the rest went to the care fund as a gift
    (its own journal entry, source_type "payment_difference")."""

    __tablename__ = "payment_differences"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("kind IN ('discount', 'extra')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    amount_fen: Mapped[int] = mapped_column(Integer)  # the difference, always positive
    expected_fen: Mapped[int] = mapped_column(Integer)  # the order's total before
    received_fen: Mapped[int] = mapped_column(Integer)  # what the home received
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    reason: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
