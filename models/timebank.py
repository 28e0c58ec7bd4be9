"""The time bank: people (volunteers and the elders they serve), service requests, services given,
hours spent or given away, and disputes of a confirmed service.

Hours live in the ledger (commodity TIME, minutes), never here: each row that moves hours points
at the one journal entry the ledger posted for it (`entry_id`). These rows say who, what, when and
who confirmed.
"""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow

# The fixed list of skills a volunteer may offer and a request may ask for.
SKILLS = ("meals", "visits", "cleaning", "haircut", "escort", "farm", "reading", "tech")
REQUEST_STATUSES = ("open", "assigned", "done", "cancelled")
SERVICE_STATUSES = ("logged", "confirmed", "rejected", "reversed")
TRANSFER_KINDS = ("redeem", "gift", "reserve")
DISPUTE_STATUSES = ("open", "upheld", "dismissed")


class TimePerson(db.Model):
    """Someone in a home's time bank: a volunteer, an elder who receives help, or both.

    `user_id` is set when the person has an account (registered themselves, or linked); staff
    register people without phones and act for them (`created_by_id`)."""

    __tablename__ = "timebank_people"
    __table_args__ = (UniqueConstraint("home_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str | None] = mapped_column(String(20))
    village: Mapped[str] = mapped_column(String(60), default="")
    skills: Mapped[str] = mapped_column(String(200), default="")  # comma-separated, from SKILLS
    availability: Mapped[str] = mapped_column(String(120), default="")
    is_volunteer: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    home: Mapped["Home"] = relationship()  # noqa: F821

    @property
    def skill_list(self) -> list[str]:
        return [s for s in (self.skills or "").split(",") if s]


class ServiceRequest(db.Model):
    """An elder's need: what, when, where; entered by the elder, family or staff."""

    __tablename__ = "timebank_requests"
    __table_args__ = (Index("ix_timebank_requests_home_status", "home_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"))
    elder_id: Mapped[int] = mapped_column(ForeignKey("timebank_people.id"))
    skill: Mapped[str] = mapped_column(String(20))
    what: Mapped[str] = mapped_column(String(200))
    wanted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("timebank_people.id"))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    elder: Mapped[TimePerson] = relationship(foreign_keys=[elder_id])
    volunteer: Mapped[TimePerson | None] = relationship(foreign_keys=[volunteer_id])


class Service(db.Model):
    """A finished service, logged by (or for) the volunteer; hours are credited only once the
    receiver, or staff on the receiver's behalf, confirms it (never the volunteer or the logger)."""

    __tablename__ = "timebank_services"
    __table_args__ = (
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint("ended_at > started_at", name="ends_after_start"),
        Index("ix_timebank_services_volunteer_start", "volunteer_id", "started_at"),
        Index("ix_timebank_services_home_status", "home_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("timebank_requests.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("timebank_people.id"))
    receiver_id: Mapped[int] = mapped_column(ForeignKey("timebank_people.id"))
    skill: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    minutes: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="logged")
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_behalf: Mapped[bool] = mapped_column(Boolean, default=False)  # staff confirmed for the receiver
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    entry_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    volunteer: Mapped[TimePerson] = relationship(foreign_keys=[volunteer_id])
    receiver: Mapped[TimePerson] = relationship(foreign_keys=[receiver_id])
    confirmed_by: Mapped["User | None"] = relationship(foreign_keys=[confirmed_by_id])  # noqa: F821


class TimeTransfer(db.Model):
    """Hours spent: on a service in any home for the holder or a named family member
    (`redeem`, `home_id` the serving home), or given to an elder of the same home (`gift`)."""

    __tablename__ = "timebank_transfers"
    __table_args__ = (CheckConstraint("minutes > 0", name="minutes_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("timebank_people.id"), index=True)
    to_person_id: Mapped[int | None] = mapped_column(ForeignKey("timebank_people.id"))
    beneficiary: Mapped[str] = mapped_column(String(60), default="")
    what: Mapped[str] = mapped_column(String(200), default="")
    minutes: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entry_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[TimePerson] = relationship(foreign_keys=[person_id])
    to_person: Mapped[TimePerson | None] = relationship(foreign_keys=[to_person_id])


class TimeAllocation(db.Model):
    """Hours from the home's reserve (donated hours) to a person: proposed by staff, decided by a
    supervisor who did not propose it (four eyes); approved, one TIME entry reserve → person."""

    __tablename__ = "timebank_allocations"
    __table_args__ = (
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint("decided_by_id IS NULL OR decided_by_id <> proposed_by_id", name="four_eyes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    to_person_id: Mapped[int] = mapped_column(ForeignKey("timebank_people.id"))
    minutes: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    entry_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    to_person: Mapped[TimePerson] = relationship()


class TimeDispute(db.Model):
    """A confirmed service questioned within 7 days by the receiver or staff; a supervisor who
    did not open it decides (four eyes). Upheld: a reversing entry takes the hours back."""

    __tablename__ = "timebank_disputes"
    __table_args__ = (
        CheckConstraint("decided_by_id IS NULL OR decided_by_id <> opened_by_id", name="four_eyes"),
        UniqueConstraint("service_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("timebank_services.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_comment: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    entry_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    service: Mapped[Service] = relationship()


RECOGNITION_BUDGET_STATUSES = ("proposed", "approved", "rejected")


class Recognition(db.Model):
    """A home's thank-you for hours given, e.g. "50 hours given → a meal at the dining table":
    due once a volunteer's confirmed hours reach `minutes`; its cost (`value_fen`, money) is
    paid from an approved recognition budget when staff hand it over."""

    __tablename__ = "timebank_recognitions"
    __table_args__ = (
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint("value_fen > 0", name="value_positive"),
        UniqueConstraint("home_id", "minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    minutes: Mapped[int] = mapped_column(Integer)  # confirmed hours given, in minutes
    what: Mapped[str] = mapped_column(String(120))
    value_fen: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecognitionBudget(db.Model):
    """Money of the home's care fund set aside for recognitions: proposed by one member of the
    home, approved by a supervisor who did not propose it (the care fund's four eyes). Handing
    over recognitions spends it; it can never be spent beyond `amount_fen`."""

    __tablename__ = "timebank_recognition_budgets"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("decided_by_id IS NULL OR decided_by_id <> proposed_by_id", name="four_eyes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecognitionAward(db.Model):
    """A recognition handed over to a volunteer (once per level): its cost is one money entry
    (care fund available → spent, category "recognitions") charged to `budget_id`."""

    __tablename__ = "timebank_recognition_awards"
    __table_args__ = (
        CheckConstraint("value_fen > 0", name="value_positive"),
        UniqueConstraint("person_id", "recognition_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    recognition_id: Mapped[int] = mapped_column(ForeignKey("timebank_recognitions.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("timebank_people.id"), index=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("timebank_recognition_budgets.id"), index=True)
    value_fen: Mapped[int] = mapped_column(Integer)
    handed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    handed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    entry_id: Mapped[int | None] = mapped_column(Integer, index=True)

    recognition: Mapped[Recognition] = relationship()
    person: Mapped[TimePerson] = relationship()
