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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow

KINDS = ("tour", "homestay", "produce", "craft")
GOODS = ("produce", "craft")  # the kinds sold as units and shipped
LISTING_STATUSES = ("draft", "published", "archived")
HOME_STATUSES = ("active", "suspended")
ELDER_ROLES = ("storyteller", "artisan", "grower")


class Home(db.Model):
    __tablename__ = "homes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    province_zh: Mapped[str] = mapped_column(String(40))
    province_en: Mapped[str] = mapped_column(String(60))
    county_zh: Mapped[str] = mapped_column(String(40))
    county_en: Mapped[str] = mapped_column(String(60))
    village_zh: Mapped[str] = mapped_column(String(60))
    village_en: Mapped[str] = mapped_column(String(80))
    story_zh: Mapped[str] = mapped_column(Text, default="")
    story_en: Mapped[str] = mapped_column(Text, default="")
    care_share_bps: Mapped[int] = mapped_column(Integer, default=2000)
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai")
    status: Mapped[str] = mapped_column(String(20), default="active")
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    # How buyers pay the home offline (staff edit these): the account holder's name, the bank
    # and account number, a phone for WeChat Pay / Alipay or questions, and a note per language.
    pay_payee: Mapped[str] = mapped_column(String(120), default="")
    pay_account: Mapped[str] = mapped_column(String(120), default="")
    pay_phone: Mapped[str] = mapped_column(String(20), default="")
    pay_note_zh: Mapped[str] = mapped_column(Text, default="")
    pay_note_en: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("care_share_bps >= 0 AND care_share_bps <= 10000", name="care_share"),
    )

    photos: Mapped[list["Photo"]] = relationship(
        primaryjoin="and_(Photo.home_id == Home.id, Photo.listing_id.is_(None))",
        order_by="Photo.position",
        viewonly=True,
    )
    elders: Mapped[list["Elder"]] = relationship(back_populates="home", order_by="Elder.id")


class Elder(db.Model):
    """An elder as the home chooses to show them: no health or age data, ever."""

    __tablename__ = "elders"

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    display_name_zh: Mapped[str] = mapped_column(String(60))
    display_name_en: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20))
    bio_zh: Mapped[str] = mapped_column(Text, default="")
    bio_en: Mapped[str] = mapped_column(Text, default="")
    consent_public: Mapped[bool] = mapped_column(Boolean, default=False)
    incentive_bps: Mapped[int] = mapped_column(Integer, default=0)

    home: Mapped[Home] = relationship(back_populates="elders")


CONSENT_HOW = ("paper", "spoken")


class ElderConsent(db.Model):
    """What an elder agreed to be shown, how they said so, who wrote it down and when, and its
    withdrawal. The newest record not withdrawn is the elder's consent; `Elder.consent_public`
    is kept equal to "that record covers being named" in the same transaction
    (market/manage/consent.py), and public pages read only the flag."""

    __tablename__ = "elder_consents"
    __table_args__ = (
        CheckConstraint("how IN ('paper', 'spoken')", name="how_known"),
        CheckConstraint("how <> 'spoken' OR witness_name <> ''", name="spoken_has_witness"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id"), index=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    covers_name: Mapped[bool] = mapped_column(Boolean, default=False)  # named on listings
    covers_photos: Mapped[bool] = mapped_column(Boolean, default=False)
    covers_reviews: Mapped[bool] = mapped_column(Boolean, default=False)  # reviews naming them
    how: Mapped[str] = mapped_column(String(10))  # a signed paper form, or spoken
    witness_name: Mapped[str] = mapped_column(String(80), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawal_note: Mapped[str] = mapped_column(Text, default="")


class Listing(db.Model):
    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint("price_fen > 0", name="price_positive"),
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_nonneg"),
        CheckConstraint("reserved >= 0", name="reserved_nonneg"),
        Index("ix_listings_browse", "status", "kind", "id"),
        Index("ix_listings_home_status", "home_id", "status"),
        # Deep browse pages: an index-only scan over published ids (bench_site).
        Index("ix_listings_status_id", "status", "id"),
        # Featured-first lists per kind on the home page, without sorting every listing.
        Index("ix_listings_featured", "status", "kind", "featured", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"))
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(String(300), default="")  # comma separated
    # Price in minor units (fen): per seat, per night (lowest room), or per unit.
    price_fen: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    unit_zh: Mapped[str] = mapped_column(String(20), default="")
    unit_en: Mapped[str] = mapped_column(String(20), default="")
    care_share_bps: Mapped[int | None] = mapped_column(Integer)  # overrides the home's
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elders.id"))
    # Goods: stock counts what is left to sell and reserved what holds keep; made-to-order
    # goods have no stock and a lead time instead.
    stock: Mapped[int | None] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    made_to_order: Mapped[bool] = mapped_column(Boolean, default=False)
    lead_days: Mapped[int | None] = mapped_column(Integer)
    harvest_date: Mapped[date | None] = mapped_column(Date)
    ships_to: Mapped[str] = mapped_column(String(400), default="")  # province names, comma list
    # Hours before the start (tours, stays) a paid booking can still be cancelled.
    cancel_hours: Mapped[int | None] = mapped_column(Integer)
    # Facts for travellers (tours, stays): what the price includes, how to find the meeting
    # point or the house, and a map link (http/https only; checked by market/manage).
    included_zh: Mapped[str] = mapped_column(Text, default="", server_default="")
    included_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    directions_zh: Mapped[str] = mapped_column(Text, default="", server_default="")
    directions_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    map_url: Mapped[str] = mapped_column(String(300), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    home: Mapped[Home] = relationship()
    elder: Mapped[Elder | None] = relationship()
    photos: Mapped[list["Photo"]] = relationship(
        back_populates="listing", order_by="Photo.position", cascade="all, delete-orphan"
    )
    sessions: Mapped[list["TourSession"]] = relationship(
        back_populates="listing", order_by="TourSession.starts_at", cascade="all, delete-orphan"
    )
    rooms: Mapped[list["Room"]] = relationship(
        back_populates="listing", order_by="Room.id", cascade="all, delete-orphan"
    )


class TourSession(db.Model):
    __tablename__ = "tour_sessions"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("reserved >= 0 AND reserved <= capacity", name="reserved_in_range"),
        Index("ix_tour_sessions_listing_start", "listing_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=120)
    capacity: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    meeting_point_zh: Mapped[str] = mapped_column(String(200), default="")
    meeting_point_en: Mapped[str] = mapped_column(String(200), default="")
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elders.id"))

    listing: Mapped[Listing] = relationship(back_populates="sessions")
    elder: Mapped[Elder | None] = relationship()


class Room(db.Model):
    __tablename__ = "rooms"
    __table_args__ = (
        CheckConstraint("nightly_price_fen > 0", name="nightly_price_positive"),
        CheckConstraint("max_guests > 0", name="max_guests_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    nightly_price_fen: Mapped[int] = mapped_column(Integer)
    max_guests: Mapped[int] = mapped_column(Integer, default=2)
    amenities_zh: Mapped[str] = mapped_column(String(300), default="")
    amenities_en: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    listing: Mapped[Listing] = relationship(back_populates="rooms")


class Photo(db.Model):
    """An uploaded, re-encoded image of a home or a listing (files live under UPLOAD_ROOT)."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id"), index=True)
    path: Mapped[str] = mapped_column(String(200))
    thumb_path: Mapped[str] = mapped_column(String(200))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    alt_zh: Mapped[str] = mapped_column(String(200), default="")
    alt_en: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    listing: Mapped[Listing | None] = relationship(back_populates="photos")
