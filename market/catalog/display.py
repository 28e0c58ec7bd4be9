"""Small presentation helpers shared by templates."""

from datetime import datetime

from babel.dates import format_skeleton, get_day_names
from babel.numbers import format_percent
from flask import request
from flask_babel import get_locale
from markupsafe import Markup

from market import clock
from market.catalog.service import effective_care_bps


def percent(bps: int) -> str:
    """2000 basis points -> '20%' in the reader's locale."""
    return format_percent(bps / 10000, format="#,##0.##%", locale=get_locale())


def month_name(day) -> str:
    """'2026年12月' or 'December 2026', the reader's way."""
    return format_skeleton("yMMMM", day, locale=get_locale())


def weekday_names() -> list[tuple[str, str]]:
    """(short, full) names of Monday … Sunday in the reader's language: 一 … 日, Mon … Sun."""
    locale = get_locale()
    short = get_day_names("narrow" if str(locale).startswith("zh") else "abbreviated", locale=locale)
    full = get_day_names("wide", locale=locale)
    return [(short[i], full[i]) for i in range(7)]


def care_share_percent(listing) -> str:
    """The share of this listing's price that goes to its home's care fund, as '20%'."""
    return percent(effective_care_bps(listing))


def home_datetime(value: datetime, home=None) -> datetime:
    """A stored UTC time in the home's time zone."""
    return clock.local(value, home)


# Rendered listing cards, keyed by everything a card shows. Browse, home and index pages
# repeat the same cards; rendering one (translations, money formatting, two URLs) costs
# about a millisecond, a lookup a few microseconds. Bounded: cleared when full.
_CARDS: dict[tuple, Markup] = {}
CARD_CACHE_SIZE = 20_000


def cached_card(listing, render) -> Markup:
    """`render(listing)` (the card macro), or the same card rendered before."""
    home = listing.home
    key = (
        listing.id, listing.slug, listing.kind, listing.title_zh, listing.title_en,
        listing.price_fen, listing.currency, listing.unit_zh, listing.unit_en,
        getattr(listing, "thumb", None), home.name_zh, home.name_en, home.county_zh, home.county_en,
        str(get_locale()), request.script_root,
    )
    html = _CARDS.get(key)
    if html is None:
        html = Markup(render(listing))
        if len(_CARDS) >= CARD_CACHE_SIZE:
            _CARDS.clear()
        _CARDS[key] = html
    return html
