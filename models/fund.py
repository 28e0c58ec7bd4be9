"""The care fund's own records: money in (donations, grants) and out (disbursements, settlements).

Each record that moves money points at the one journal entry the ledger posted for it
(`entry_id`); the ledger is the book of record, these rows say who, why and with what proof.
"""

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow

DISBURSEMENT_CATEGORIES = ("meals", "medical_checks", "daily_care", "activities", "facilities", "other")
DISBURSEMENT_STATUSES = ("proposed", "approved", "rejected", "withdrawn")
DONATION_STATUSES = ("pending", "received", "cancelled")
GRANT_SOURCES = ("government", "township", "village_collective", "social_organisation", "enterprise")
SETTLEMENT_ACCOUNTS = ("home_operations", "elder_incentive")
SETTLEMENT_METHODS = ("cash", "transfer")


class Disbursement(db.Model):
    """Spending from a home's available care fund: proposed by staff, decided by a supervisor."""

    __tablename__ = "fund_disbursements"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("decided_by_id IS NULL OR decided_by_id <> proposed_by_id", name="four_eyes"),
        Index("ix_fund_disbursements_home_status", "home_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"))
    category: Mapped[str] = mapped_column(String(30))
    amount_fen: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    payee: Mapped[str] = mapped_column(String(120))
    spent_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    # Relative to the receipts root (not the public upload root): served only once approved.
    receipt_path: Mapped[str | None] = mapped_column(String(200))
    receipt_content_type: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_comment: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    entry_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    home: Mapped["Home"] = relationship()  # noqa: F821
    proposed_by: Mapped["User"] = relationship(foreign_keys=[proposed_by_id])  # noqa: F821
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])  # noqa: F821


class Donation(db.Model):
    """A gift to one home's care fund; 100% of what is received goes to the fund."""

    __tablename__ = "fund_donations"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("received_fen IS NULL OR received_fen > 0", name="received_positive"),
        Index("ix_fund_donations_home_status", "home_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # what the donor quotes
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"))
    amount_fen: Mapped[int] = mapped_column(Integer)  # as pledged
    received_fen: Mapped[int | None] = mapped_column(Integer)  # as actually received
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    donor_name: Mapped[str] = mapped_column(String(80), default="")
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    message: Mapped[str] = mapped_column(Text, default="")
    donor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    provider: Mapped[str] = mapped_column(String(20), default="offline")
    provider_ref: Mapped[str | None] = mapped_column(String(255), index=True)
    # Which Stripe Checkout try this is: after Stripe's 5xx (stored for its idempotency key) the
    # next try uses a new key.
    checkout_attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    entry_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    home: Mapped["Home"] = relationship()  # noqa: F821

    @property
    def public_name(self) -> str | None:
        """The donor's name only when they chose to be named."""
        return None if self.anonymous or not self.donor_name else self.donor_name


GRANT_STATUSES = ("recorded", "confirmed")


class Grant(db.Model):
    """A subsidy or grant from outside: government, township, village collective, …

    Recorded with its document (a scan or PDF of the payment notice) by a supervisor or an
    administrator; it counts as available care fund only once a second person confirmed it
    (`status` "confirmed": the ledger entry is posted then)."""

    __tablename__ = "fund_grants"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("confirmed_by_id IS NULL OR confirmed_by_id <> recorded_by_id", name="four_eyes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    source: Mapped[str] = mapped_column(String(30))
    source_name: Mapped[str] = mapped_column(String(120))
    amount_fen: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    received_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Relative to the receipts root; public once confirmed (like an approved spending's receipt).
    document_path: Mapped[str | None] = mapped_column(String(200))
    document_content_type: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default="recorded")  # recorded/confirmed/rejected
    # Who decided and when: confirmed, or rejected with `rejection_reason` (never the recorder).
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejection_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    entry_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    home: Mapped["Home"] = relationship()  # noqa: F821
    recorded_by: Mapped["User"] = relationship(foreign_keys=[recorded_by_id])  # noqa: F821
    confirmed_by: Mapped["User | None"] = relationship(foreign_keys=[confirmed_by_id])  # noqa: F821


class Settlement(db.Model):
    """Money the platform actually paid out to a home (operations or elder incentive account)."""

    __tablename__ = "fund_settlements"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    account_code: Mapped[str] = mapped_column(String(30))
    amount_fen: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    paid_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(120), default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entry_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    home: Mapped["Home"] = relationship()  # noqa: F821


class MonthSettlement(db.Model):
    """The monthly settlement between a home and the platform (`market/fund/month_settlements.py`):
    the fees the home owes for the month's offline sales against what the platform owes the
    home from the month's online sales, paid as one net amount, once per home and month."""

    __tablename__ = "fund_month_settlements"
    __table_args__ = (
        UniqueConstraint("home_id", "month", "currency", name="uq_fund_month_settlements_home_month"),
        CheckConstraint("operations_fen >= 0 AND incentive_fen >= 0", name="owed_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, Beijing time
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    fees_fen: Mapped[int] = mapped_column(Integer)  # owed by the home (offline sales' fees)
    operations_fen: Mapped[int] = mapped_column(Integer)  # owed by the platform (online sales)
    incentive_fen: Mapped[int] = mapped_column(Integer)  # owed by the platform (online sales)
    net_fen: Mapped[int] = mapped_column(Integer)  # > 0 the home paid the platform, < 0 the reverse
    method: Mapped[str] = mapped_column(String(20))  # cash / transfer
    paid_by: Mapped[str] = mapped_column(String(120))  # the person who handed over or sent it
    paid_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(120), default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entry_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


CORRECTION_STATUSES = ("proposed", "approved", "rejected", "withdrawn")
CORRECTABLE_KINDS = ("donation", "grant", "disbursement", "settlement")


class Correction(db.Model):
    """A mistaken ledger entry (a duplicate grant, a wrong amount) taken back by a reversing
    entry: proposed by one person with a reason, decided by another (never the proposer); the
    proposer may withdraw it while undecided. `reversal_entry_id` is the reversing entry."""

    __tablename__ = "fund_corrections"
    __table_args__ = (
        CheckConstraint("decided_by_id IS NULL OR decided_by_id <> proposed_by_id", name="four_eyes"),
        Index("ix_fund_corrections_home_status", "home_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)  # the mistaken one
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_comment: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversal_entry_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    home: Mapped["Home"] = relationship()  # noqa: F821
    entry: Mapped["JournalEntry"] = relationship(foreign_keys=[entry_id])  # noqa: F821
    proposed_by: Mapped["User"] = relationship(foreign_keys=[proposed_by_id])  # noqa: F821
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])  # noqa: F821


ELDER_PAYOUT_METHODS = ("cash", "transfer", "wechat", "other")


class ElderPayout(db.Model):
    """Money the home paid to one elder from their incentive: recorded by one member of the home
    (who paid, how, when), signed off by another (never the recorder; the administrator when the
    home has no other supervisor); only then the ledger entry posts (`entry_id`). The recorder
    may withdraw it while it is not signed off."""

    __tablename__ = "fund_elder_payouts"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("decided_by_id IS NULL OR decided_by_id <> recorded_by_id", name="four_eyes"),
        Index("ix_fund_elder_payouts_home_status", "home_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"))
    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    method: Mapped[str] = mapped_column(String(12))  # ELDER_PAYOUT_METHODS
    paid_by: Mapped[str] = mapped_column(String(120))  # who handed over the money
    paid_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_comment: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    entry_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    elder: Mapped["Elder"] = relationship()  # noqa: F821
    recorded_by: Mapped["User"] = relationship(foreign_keys=[recorded_by_id])  # noqa: F821
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])  # noqa: F821
