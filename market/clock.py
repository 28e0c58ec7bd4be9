"""Now, the home's local date and its time zone: the one place that knows Asia/Shanghai.

Times are stored in UTC and shown in the home's time zone. Every home of the market is in
mainland China today, so `HOME_TIMEZONE` is the default; a home row may name another zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from models.base import utcnow

HOME_TIMEZONE = "Asia/Shanghai"
HOME_ZONE = ZoneInfo(HOME_TIMEZONE)


def now() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return utcnow()


def zone(home=None) -> ZoneInfo:
    """The time zone of `home` (the market's default when None or unset)."""
    name = getattr(home, "timezone", None)
    return ZoneInfo(name) if name and name != HOME_TIMEZONE else HOME_ZONE


def local(moment: datetime, home=None) -> datetime:
    """A stored UTC moment in the home's time zone."""
    return moment.astimezone(zone(home))


def local_today(moment: datetime | None = None, home=None) -> date:
    """The home's calendar day at `moment` (now by default)."""
    return local(moment or now(), home).date()


def start_of_day(day: date, home=None) -> datetime:
    """Local midnight at the start of `day`, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=zone(home))


def at_local(day: date, clock_time: time, home=None) -> datetime:
    """`day` at the home's local `clock_time`, converted to UTC."""
    return datetime.combine(day, clock_time.replace(tzinfo=None), tzinfo=zone(home)).astimezone(UTC)
