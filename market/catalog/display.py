"""Small presentation helpers shared by templates."""

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.numbers import format_percent
from flask_babel import get_locale

from market.catalog.service import effective_care_bps


def percent(bps: int) -> str:
    """2000 basis points -> '20%' in the reader's locale."""
    return format_percent(bps / 10000, format="#,##0.##%", locale=get_locale())


def care_share_percent(listing) -> str:
    """The share of this listing's price that goes to its home's care fund, as '20%'."""
    return percent(effective_care_bps(listing))


def home_datetime(value: datetime, home=None) -> datetime:
    """A stored UTC time in the home's time zone (Asia/Shanghai unless the home says otherwise)."""
    zone = ZoneInfo(home.timezone if home is not None else "Asia/Shanghai")
    return value.astimezone(zone)
