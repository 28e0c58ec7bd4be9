"""What each person of a home wants to be told by mail (market/notify/)."""

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db

# The events a member of a home can be told about, in the order the settings page lists them.
NOTIFY_KINDS = ("new_order", "offline_payment", "approval", "donation", "low_stock")


class NotificationSetting(db.Model):
    """One person's choice for one kind of event at one home; no row means the default."""

    __tablename__ = "notification_settings"
    __table_args__ = (UniqueConstraint("user_id", "home_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    enabled: Mapped[bool] = mapped_column(Boolean)
