from datetime import date, datetime
from enum import StrEnum

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
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from models.base import UTCDateTime, db, utcnow


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


ORDER_STATUSES = tuple(OrderStatus)
# Where each status may go next; every change goes through market.orders.lifecycle.
ORDER_TRANSITIONS: dict[str, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_PAYMENT: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.EXPIRED}),
    # A payment that arrives after the hold ended: paid again if everything can be re-reserved.
    OrderStatus.EXPIRED: frozenset({OrderStatus.PAID, OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset({OrderStatus.PAID, OrderStatus.REFUNDED}),
    OrderStatus.PAID: frozenset({OrderStatus.FULFILLED, OrderStatus.CANCELLED, OrderStatus.REFUNDED,
                                 OrderStatus.PARTIALLY_REFUNDED}),
    OrderStatus.PARTIALLY_REFUNDED: frozenset({OrderStatus.FULFILLED, OrderStatus.CANCELLED,
                                               OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED}),
    OrderStatus.FULFILLED: frozenset({OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED}),
    OrderStatus.REFUNDED: frozenset(),
}
# Orders that still hold (or held and sold) what they booked.
LIVE_STATUSES = (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED,
                 OrderStatus.FULFILLED)
REFUNDABLE_STATUSES = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.FULFILLED)


# In a refund's split over lines (`Refund.lines_json`) key 0 stands for the order's shipping:
# no order line has id 0, and every refund path (cancel, dispute, a Stripe dashboard refund)
# then covers shipping the same way it covers lines.
SHIPPING_LINE = 0


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("total_fen >= 0", name="total_nonneg"),
        Index("ix_orders_status_hold", "status", "hold_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # short code buyers quote
    # One checkout form submission makes one order, however often it is re-sent.
    idempotency_token: Mapped[str] = mapped_column(String(64), unique=True)
    # The checkout form's token (one checkout may make one order per home; each order's
    # idempotency_token is "<checkout_token>:<n>").
    checkout_token: Mapped[str | None] = mapped_column(String(40), index=True)
    # Whose cart it was ("u:<user id>" or "s:<guest key>"): a re-sent form or the confirmation
    # page shows the orders of a checkout token to that cart's owner only.
    cart_owner: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Checkout makes one order per home: that home's staff run it and are paid for it.
    home_id: Mapped[int | None] = mapped_column(ForeignKey("homes.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), default="pending_payment")
    provider: Mapped[str] = mapped_column(String(20), default="offline")
    total_fen: Mapped[int] = mapped_column(Integer)  # the lines plus shipping
    # Shipping of the order's goods to `ship_province`, one fee per order (not per line), from
    # the home's shipping table at checkout; days as shown ("3–5"). Its own ledger postings
    # (market/ledger/entries.py): no care share, no incentive, no fee.
    shipping_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    shipping_days: Mapped[str | None] = mapped_column(String(10))
    shipping_refunded_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    contact_name: Mapped[str] = mapped_column(String(80))
    contact_phone: Mapped[str] = mapped_column(String(20))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    ship_province: Mapped[str | None] = mapped_column(String(40))
    ship_city: Mapped[str | None] = mapped_column(String(60))
    ship_district: Mapped[str | None] = mapped_column(String(60))
    ship_street: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(10), default="zh_Hans")
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when something needs a person: amount mismatch, dispute, late payment.
    flag: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    home: Mapped["Home | None"] = relationship()  # noqa: F821
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    events: Mapped[list["OrderEvent"]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )
    # An offline payment at another amount than the total, and why (market/payments/offline.py).
    difference: Mapped["PaymentDifference | None"] = relationship(  # noqa: F821
        uselist=False, viewonly=True)


class OrderLine(db.Model):
    """One thing bought, priced and with its share rates copied at checkout."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("amount_fen >= 0", name="amount_nonneg"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refund_range"),
        Index("ix_order_lines_home", "home_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))  # the Chinese title when bought
    title_en: Mapped[str] = mapped_column(String(200), default="")  # "" when it had none
    title_zh = synonym("title")  # so that `localized(line, "title")` works
    session_id: Mapped[int | None] = mapped_column(ForeignKey("tour_sessions.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"))
    check_in: Mapped[date | None] = mapped_column(Date)
    check_out: Mapped[date | None] = mapped_column(Date)
    guests: Mapped[int | None] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)  # seats, nights or units
    unit_price_fen: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)
    refunded_fen: Mapped[int] = mapped_column(Integer, default=0)
    # Taken off `amount_fen` when the home accepted less than the total for an offline payment
    # (market/payments/offline.py): the price agreed at checkout is amount_fen + discount_fen.
    discount_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    care_share_bps: Mapped[int] = mapped_column(Integer)
    incentive_bps: Mapped[int] = mapped_column(Integer, default=0)
    platform_fee_bps: Mapped[int] = mapped_column(Integer, default=0)
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elders.id"))
    # Whether this line still holds seats, nights or stock (False once released or cancelled).
    holds_inventory: Mapped[bool] = mapped_column(Boolean, default=True)
    # Fulfilment, line by line: the tour attended, the stay checked out, the goods shipped
    # (with their carrier and tracking number). The order is fulfilled when all its lines are.
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fulfilled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    carrier: Mapped[str | None] = mapped_column(String(60))
    tracking_number: Mapped[str | None] = mapped_column(String(60))

    order: Mapped[Order] = relationship(back_populates="lines")
    tour_session: Mapped["TourSession | None"] = relationship(viewonly=True)  # noqa: F821
    room: Mapped["Room | None"] = relationship(viewonly=True)  # noqa: F821


class OrderEvent(db.Model):
    """Every status change: who, when, why."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Who acted, in the words the timeline uses: "customer", "staff" or "system".
    actor_kind: Mapped[str] = mapped_column(String(10), default="system")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")


class ShippingRate(db.Model):
    """One row of a home's shipping table: a province (None: every province not listed) and
    what sending goods there costs and takes."""

    __tablename__ = "shipping_rates"
    __table_args__ = (
        UniqueConstraint("home_id", "province"),
        CheckConstraint("fee_fen >= 0", name="fee_nonneg"),
        CheckConstraint("days_min >= 1 AND days_max <= 60 AND days_min <= days_max", name="days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    province: Mapped[str | None] = mapped_column(String(40))  # market/provinces.py name; None = default
    fee_fen: Mapped[int] = mapped_column(Integer)
    days_min: Mapped[int] = mapped_column(Integer)
    days_max: Mapped[int] = mapped_column(Integer)


class RoomNight(db.Model):
    """A booked night: the unique (room, night) pair is what prevents double booking."""

    __tablename__ = "room_nights"
    __table_args__ = (UniqueConstraint("room_id", "night"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"))
    night: Mapped[date] = mapped_column(Date)
    # None: staff blocked the night (no order holds it); the unique pair keeps it from being sold.
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"), index=True)
    blocked_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
    blocked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
