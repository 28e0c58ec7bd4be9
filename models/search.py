from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow


class SearchQueue(db.Model):
    """Listings whose index update failed (or ran during a rebuild): applied on the next update.

    No foreign key: a deleted listing is queued so that it gets removed from the index.
    """

    __tablename__ = "search_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(Integer, index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
