from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow


class UsedFormToken(db.Model):
    """A one-time form token that has done its work: the same form sent again does nothing."""

    __tablename__ = "used_form_tokens"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
