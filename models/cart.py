"""Cart items: what a buyer has picked but not yet checked out.

`owner` is "u:<user id>" for a logged-in buyer or "s:<random key>" for a guest (the key lives
in the guest's session cookie); a guest's items move to their account when they log in.
"""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow


class CartItem(db.Model):
    __tablename__ = "cart_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("tour_sessions.id", ondelete="CASCADE"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    check_in: Mapped[date | None] = mapped_column()
    check_out: Mapped[date | None] = mapped_column()
    guests: Mapped[int | None] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)  # seats or units (nights for stays)
    # The line amount the buyer saw when adding it, to show a price change before confirming.
    seen_amount_fen: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    listing: Mapped["Listing"] = relationship()  # noqa: F821
    tour_session: Mapped["TourSession | None"] = relationship()  # noqa: F821
    room: Mapped["Room | None"] = relationship()  # noqa: F821
