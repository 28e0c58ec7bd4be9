"""Money is an integer count of minor units (fen) plus a currency code. Never a float.

The ledger's other commodity, the time bank's `TIME`, counts whole minutes: `format_money`
writes it as hours and minutes, so a page that formats an entry's amounts in the entry's
commodity shows either correctly."""

import re
import unicodedata
from copy import copy
from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency, get_currency_precision
from flask_babel import get_locale
from flask_babel import gettext as _

TIME = "TIME"

# An optional yuan sign, then whole yuan either plain or with commas between groups of three
# ("1,250"; never "12,50", which a European keyboard means as 12.50), then up to two decimals.
_YUAN = re.compile(r"^\s*¥?\s*([0-9]{1,3}(?:,[0-9]{3}){1,2}|[0-9]{1,9})(?:\.([0-9]{1,2}))?\s*$")


def format_money(minor: int, currency: str = "CNY", locale=None, trim: bool = False) -> str:
    """The one place money becomes text, in the reader's locale. `trim` drops the decimals of
    a whole amount ('¥108' for a price; '¥108.50' stays), where the books keep them."""
    if currency == TIME:
        return format_minutes(minor)
    locale = Locale.parse(locale or get_locale() or "zh_Hans")
    precision = get_currency_precision(currency)
    amount = Decimal(minor).scaleb(-precision)
    if not trim or minor % 10**precision:
        return format_currency(amount, currency, locale=locale)
    pattern = copy(locale.currency_formats["standard"])
    pattern.frac_prec = (0, 0)
    return pattern.apply(amount, locale, currency=currency, currency_digits=False)


def format_minutes(minutes: int) -> str:
    """Minutes in plain words: 90 → "1 h 30 min" / "1小时30分钟"; negative with a minus sign."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(int(minutes)), 60)
    if hours and rest:
        return sign + _("%(h)s h %(m)s min", h=hours, m=rest)
    if hours:
        return sign + _("%(h)s h", h=hours)
    return sign + _("%(m)s min", m=rest)


def parse_major(text: str) -> int:
    """'12.5' -> 1250, '¥1,250' -> 125000. Raises ValueError for anything but an amount of at
    most 999,999,999 yuan with ≤2 decimals; every money form parses with this one function.

    Full-width digits, point, comma and yuan sign, as Chinese input methods type them ('￥１２．５'),
    count as the ASCII ones; other scripts' digits do not."""
    match = _YUAN.match(unicodedata.normalize("NFKC", str(text)))
    if not match:
        raise ValueError(text)
    whole, cents = match.group(1).replace(",", ""), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents)


def minor_to_major_text(minor: int) -> str:
    """1250 -> '12.50', for pre-filling forms."""
    return f"{minor // 100}.{minor % 100:02d}"
