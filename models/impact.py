"""Evaluation records (issue 20): what a home produces and how it is received.

- `Resident`: an elder the home serves (the dining table, deliveries, visits), by the name on the
  paper register. Known to the home's staff only: never shown on a public page.
- `ServiceRecord`: one service to one resident on one local day (a meal at the table, a meal
  delivered, a visit, an activity joined); unique per resident, day and kind, so one tap or a
  register imported twice counts once.
- `SurveyResponse`: a resident's monthly satisfaction survey (five answers on a 1–5 face scale),
  at most one per resident and month; reports show monthly averages only.
- `Review`, `ReviewReport`: a buyer's stars and words on one fulfilled order line, the home's
  one reply, and reports of abuse.
- `ImpactSum`, `ListingReviewSum`: summary rows the writes keep in the same transaction (like
  `ledger_care_sums`), which the pages read; `flask impact verify` recomputes them.
"""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow

SERVICE_KINDS = ("meal", "delivered", "visit", "activity")
SURVEY_QUESTIONS = 5
REPORTS_TO_HIDE = 3  # reports by different people that hide a review's words until a moderator looks
PHOTOS_PER_REVIEW = 3
# The measures of impact_sums, per home and month.
MEASURES = (*SERVICE_KINDS, "attendance", "elders", "survey_count", "survey_points",
            "review_count", "review_stars", "volunteer_minutes")


class Resident(db.Model):
    __tablename__ = "impact_residents"
    __table_args__ = (UniqueConstraint("home_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServiceRecord(db.Model):
    __tablename__ = "impact_service_records"
    __table_args__ = (
        UniqueConstraint("resident_id", "day", "kind"),
        CheckConstraint("kind IN ('meal', 'delivered', 'visit', 'activity')", name="kind"),
        Index("ix_impact_service_records_home_day", "home_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("impact_residents.id"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(10), default="tap")  # tap | import
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyResponse(db.Model):
    __tablename__ = "impact_survey_responses"
    __table_args__ = (
        UniqueConstraint("resident_id", "month"),
        CheckConstraint("q1 BETWEEN 1 AND 5 AND q2 BETWEEN 1 AND 5 AND q3 BETWEEN 1 AND 5 "
                        "AND q4 BETWEEN 1 AND 5 AND q5 BETWEEN 1 AND 5", name="answers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("impact_residents.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, the home's local month
    q1: Mapped[int] = mapped_column(SmallInteger)
    q2: Mapped[int] = mapped_column(SmallInteger)
    q3: Mapped[int] = mapped_column(SmallInteger)
    q4: Mapped[int] = mapped_column(SmallInteger)
    q5: Mapped[int] = mapped_column(SmallInteger)
    helped: Mapped[bool] = mapped_column(Boolean, default=True)  # staff filled it in with the elder
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def points(self) -> int:
        return self.q1 + self.q2 + self.q3 + self.q4 + self.q5


class Review(db.Model):
    __tablename__ = "impact_reviews"
    __table_args__ = (
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars"),
        Index("ix_impact_reviews_listing", "listing_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), unique=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"))
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    stars: Mapped[int] = mapped_column(SmallInteger)
    body: Mapped[str] = mapped_column(Text, default="")
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reports: Mapped[int] = mapped_column(Integer, default=0)
    # "" until a moderator decides; then "hidden" or "shown" (restored: reports no longer hide it)
    moderation: Mapped[str] = mapped_column(String(10), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821
    photos: Mapped[list["ReviewPhoto"]] = relationship(order_by="ReviewPhoto.position")

    @property
    def hidden(self) -> bool:
        """Words and photos hidden: by a moderator, or after REPORTS_TO_HIDE reports until one looks."""
        return self.moderation == "hidden" or (self.moderation != "shown" and self.reports >= REPORTS_TO_HIDE)


class ReviewPhoto(db.Model):
    """A photo the buyer attached to a review (at most PHOTOS_PER_REVIEW), re-encoded on upload
    and stored outside the public /media folder: served only while the review is not hidden."""

    __tablename__ = "impact_review_photos"
    __table_args__ = (UniqueConstraint("review_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("impact_reviews.id"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    path: Mapped[str] = mapped_column(String(200))
    thumb_path: Mapped[str] = mapped_column(String(200))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)


class ReviewDecision(db.Model):
    """A moderator hid or restored a review: who, when, why."""

    __tablename__ = "impact_review_decisions"
    __table_args__ = (CheckConstraint("action IN ('hide', 'restore')", name="action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("impact_reviews.id"), index=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    action: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    as_admin: Mapped[bool] = mapped_column(Boolean, default=False)  # else the home's committee
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821


class ReviewReport(db.Model):
    __tablename__ = "impact_review_reports"
    __table_args__ = (UniqueConstraint("review_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("impact_reviews.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImpactSum(db.Model):
    """One figure of one home in one local month (see MEASURES); kept by the writes."""

    __tablename__ = "impact_sums"

    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    measure: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class ListingReviewSum(db.Model):
    __tablename__ = "impact_listing_reviews"

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    stars: Mapped[int] = mapped_column(BigInteger, default=0)


class SaleSum(db.Model):
    """What a home sold of one listing in one local month (the month the order was paid):
    the lines' amounts when paid, and what was refunded of them since. Kept by the hooks."""

    __tablename__ = "impact_sales"

    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    lines: Mapped[int] = mapped_column(Integer, default=0)


# The figures of one home's roll-up (market/impact/rollup.py).
ROLLUP_FIGURES = ("elders_now", "meal", "delivered", "visit", "attendance", "survey_count", "survey_points",
                  "review_count", "review_stars", "sales", "care_income", "care_spent", "care_available")


class ImpactRollup(db.Model):
    """One row per home: its figures over the 12 months ending at `period` (the home's local
    month), as the admin comparison shows them. Kept by the writes that keep `impact_sums`,
    `impact_sales` and `ledger_care_sums` while `period` is the current month; a row of an
    earlier month is recomputed by a job (market/impact/tasks.py), never on a page view."""

    __tablename__ = "impact_rollups"

    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), default="")
    elders_now: Mapped[int] = mapped_column(BigInteger, default=0)
    meal: Mapped[int] = mapped_column(BigInteger, default=0)
    delivered: Mapped[int] = mapped_column(BigInteger, default=0)
    visit: Mapped[int] = mapped_column(BigInteger, default=0)
    attendance: Mapped[int] = mapped_column(BigInteger, default=0)
    survey_count: Mapped[int] = mapped_column(BigInteger, default=0)
    survey_points: Mapped[int] = mapped_column(BigInteger, default=0)
    review_count: Mapped[int] = mapped_column(BigInteger, default=0)
    review_stars: Mapped[int] = mapped_column(BigInteger, default=0)
    sales: Mapped[int] = mapped_column(BigInteger, default=0)  # fen, net of refunds
    care_income: Mapped[int] = mapped_column(BigInteger, default=0)  # postings' sum: income negative
    care_spent: Mapped[int] = mapped_column(BigInteger, default=0)  # the RATE_MONTHS before `period`
    care_available: Mapped[int] = mapped_column(BigInteger, default=0)  # all time
