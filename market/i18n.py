"""Language choice and bilingual model fields."""

from flask import current_app, has_request_context, request
from flask_babel import get_locale

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
