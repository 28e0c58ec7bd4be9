"""Money is an integer count of minor units (fen) plus a currency code. Never a float."""

import re
from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision
from flask_babel import get_locale

_YUAN = re.compile(r"^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$")


def format_money(minor: int, currency: str = "CNY", locale=None) -> str:
    """The one place money becomes text, in the reader's locale."""
    amount = Decimal(minor).scaleb(-get_currency_precision(currency))
    return format_currency(amount, currency, locale=locale or get_locale() or "zh_Hans")


def parse_major(text: str) -> int:
    """'12.5' -> 1250. Raises ValueError for anything but a positive amount with ≤2 decimals."""
    match = _YUAN.match(str(text))
    if not match:
        raise ValueError(text)
    whole, cents = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents)


def minor_to_major_text(minor: int) -> str:
    """1250 -> '12.50', for pre-filling forms."""
    return f"{minor // 100}.{minor % 100:02d}"
