"""Language choice and bilingual model fields."""

from datetime import date, datetime
from functools import lru_cache

from babel import Locale
from flask import current_app, has_request_context, request
from flask_babel import format_date, format_datetime, get_locale

LANG_COOKIE = "lang"


def select_locale() -> str:
    if not has_request_context():  # CLI commands and background jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    # Only the cookie: looking at current_user here would load the user, and loading a user
    # may itself translate a message. Logging in sets the cookie from the account's choice.
    return chosen_language() or current_app.config["BABEL_DEFAULT_LOCALE"]


def chosen_language() -> str | None:
    """The language chosen on this device (the cookie), if it is one the site speaks."""
    chosen = request.cookies.get(LANG_COOKIE)
    return chosen if chosen in current_app.config["LANGUAGES"] else None


def is_english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def localized(obj, field: str) -> str:
    """obj.<field>_en in English (falling back to Chinese when empty), else obj.<field>_zh."""
    zh = getattr(obj, f"{field}_zh")
    if is_english():
        return getattr(obj, f"{field}_en") or zh
    return zh


def remember_language(response, code: str):
    """Set the language cookie on a response (a year; the account keeps the choice too)."""
    response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def format_day(value: date | datetime, fmt: str = "medium") -> str:
    """A date with the month by name: '2026年12月7日', 'Dec 7, 2026'. 'short' is read as
    'medium': '12/7/26' means different days to different readers."""
    return format_date(value, "medium" if fmt == "short" else fmt)


def format_moment(value: datetime, fmt: str = "medium") -> str:
    """A moment to the minute, never the second: '2026年12月7日 14:00', 'Dec 7, 2026, 2:00 PM';
    `fmt` chooses the date's length ('full' adds the weekday)."""
    return format_datetime(value, _moment_pattern(str(get_locale()), fmt))


@lru_cache(maxsize=32)
def _moment_pattern(locale_name: str, fmt: str) -> str:
    """The language's date pattern and short (minutes) time pattern, joined its own way."""
    locale = Locale.parse(locale_name)
    day = locale.date_formats["medium" if fmt == "short" else fmt].pattern
    joined = locale.datetime_formats["medium"]  # e.g. '{1} {0}' or '{1}, {0}'
    return joined.replace("{1}", day).replace("{0}", locale.time_formats["short"].pattern)
