"""Language choice and bilingual model fields."""

from flask import current_app, request
from flask_babel import get_locale
from flask_login import current_user

LANG_COOKIE = "lang"


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in supported:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def is_english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def localized(obj, field: str) -> str:
    """obj.<field>_en in English (falling back to Chinese when empty), else obj.<field>_zh."""
    zh = getattr(obj, f"{field}_zh")
    if is_english():
        return getattr(obj, f"{field}_en") or zh
    return zh
