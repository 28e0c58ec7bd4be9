"""What Stripe accepts as an amount, checked before any call: the market's one currency, its
minor units, the smallest charge, and at most 100 lines.

Our amounts are integer minor units as Babel counts them (fen: 2 decimals). Stripe counts the
same way except for its zero-decimal currencies (JPY, KRW, …: the amount is in whole units),
three-decimal ones (the last digit must be 0) and a few special cases; a currency whose decimals
differ between the two, or that has special rules, is refused at start (`check_currency`), so an
amount is never sent 100 times too large or too small. Stripe's smallest charge is set per
settlement currency; for a currency it does not list (CNY) it is the converted minimum of the
account's settlement currency, so ours is a safe margin above HKD 4.00 / USD, EUR, CHF 0.50.
"""

from __future__ import annotations

from babel.numbers import get_currency_precision

ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())
# Two decimals in the API but whole units only (or other rules): not supported by this market.
SPECIAL = frozenset("ISK HUF TWD".split())
# Smallest charge, in minor units (Stripe's table of minimum charge amounts; CNY: see above).
MINIMUM = {
    "CNY": 500, "USD": 50, "EUR": 50, "GBP": 30, "HKD": 400, "SGD": 50, "AUD": 50, "CAD": 50,
    "CHF": 50, "NZD": 50, "JPY": 50, "MYR": 200, "THB": 1000, "MXN": 1000, "INR": 50, "BRL": 50,
    "DKK": 250, "NOK": 300, "SEK": 300, "PLN": 200, "CZK": 1500, "RON": 200, "BGN": 100, "AED": 200,
}
# Stripe amounts have at most 8 digits.
MAXIMUM = 99_999_999
MAX_LINE_ITEMS = 100


def stripe_decimals(currency: str) -> int:
    code = currency.upper()
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def check_currency(currency: str) -> str | None:
    """Why the market cannot charge `currency` through Stripe, or None when it can."""
    code = (currency or "").upper()
    if code in SPECIAL or code not in MINIMUM:
        return f"Stripe payments in {code or '(none)'} are not supported by this market"
    if get_currency_precision(code) != stripe_decimals(code):
        return f"{code}: Stripe counts {stripe_decimals(code)} decimals, the market counts " \
               f"{get_currency_precision(code)}"
    return None


def refusal(currency: str, market_currency: str, total: int, lines: list[tuple[str, int, int]],
            line_currencies: set[str]) -> str | None:
    """Why Stripe would refuse a Checkout Session for this order (for the admin), or None.
    `lines` are (name, quantity, unit amount) as they would be sent."""
    code = currency.upper()
    if code != market_currency.upper() or any(c.upper() != code for c in line_currencies):
        return f"currency {code} (lines in {', '.join(sorted(line_currencies))}) is not the " \
               f"market's {market_currency.upper()}"
    if (problem := check_currency(code)) is not None:
        return problem
    if len(lines) > MAX_LINE_ITEMS:
        return f"{len(lines)} lines; Stripe Checkout takes at most {MAX_LINE_ITEMS}"
    if total < MINIMUM[code]:
        return f"total {total} is below Stripe's smallest charge {MINIMUM[code]} {code}"
    if total > MAXIMUM or any(unit * quantity > MAXIMUM for _name, quantity, unit in lines):
        return f"total {total} is above Stripe's largest amount {MAXIMUM}"
    if code in THREE_DECIMAL and any(unit % 10 for _name, _quantity, unit in lines):
        return f"{code} amounts sent to Stripe must end in 0"
    return None
