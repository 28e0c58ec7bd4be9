"""Shipping of goods by province: each home's table (a row per province it lists, and a default
row for every other province), what an order of that home's goods pays to be sent there, and
the console's checked save of the table.

One fee per home-order, not per line: the goods of one home go out in one parcel. A home with no
table charges nothing for shipping (and names no delivery time). Provinces a listing does not
ship to (`Listing.ships_to`) are refused at checkout as before; the table only prices the rest.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, select

from market.database import use_case
from market.money import parse_major
from market.provinces import PROVINCE_NAMES, province_name
from models import db
from models.orders import Order, ShippingRate

MAX_FEE_FEN = 100_000  # ¥1,000: more than any parcel inside China costs; a typo otherwise
MAX_DAYS = 60
_DAYS = re.compile(r"^\s*(\d{1,3})\s*(?:[-–—~～至到]\s*(\d{1,3}))?\s*(?:天|days?)?\s*$")


class ShippingError(ValueError):
    """A shipping table the console refuses; str(error) is a translated message."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Quote:
    """What sending one home's goods to a province costs and takes."""

    fee_fen: int
    days_min: int | None
    days_max: int | None
    province: str | None = None  # the table's row it comes from; None: the default row

    @property
    def days_text(self) -> str:
        """'3–5' or '3' (stored on the order as shown); '' when the home names no time."""
        if self.days_min is None:
            return ""
        if self.days_min == self.days_max:
            return str(self.days_min)
        return f"{self.days_min}–{self.days_max}"


FREE = Quote(0, None, None)


def table(home_id: int) -> list[ShippingRate]:
    """The home's rows: the default row (province None) first, then provinces in the usual order."""
    rows = db.session.scalars(select(ShippingRate).where(ShippingRate.home_id == home_id)).all()
    place = {name: index for index, name in enumerate(PROVINCE_NAMES)}
    return sorted(rows, key=lambda row: -1 if row.province is None else place.get(row.province, 99))


def _quote_of(row: ShippingRate) -> Quote:
    return Quote(row.fee_fen, row.days_min, row.days_max, row.province)


def default_quote(home_id: int) -> Quote | None:
    """The table's default row; None when the home has no table."""
    row = db.session.scalar(select(ShippingRate).where(ShippingRate.home_id == home_id,
                                                       ShippingRate.province.is_(None)))
    return _quote_of(row) if row is not None else None


def quote(home_id: int, province: str | None) -> Quote:
    """What shipping a home's goods to `province` costs: its row, else the default row, else free
    (a home without a table). With no province yet: the default row."""
    rows = {row.province: row for row in db.session.scalars(
        select(ShippingRate).where(ShippingRate.home_id == home_id,
                                   ShippingRate.province.in_([province]) | ShippingRate.province.is_(None)))}
    row = rows.get(province) if province else None
    row = row or rows.get(None)
    return _quote_of(row) if row is not None else FREE


def last_province(user_id: int | None) -> str | None:
    """The province of the buyer's last shipping address, if any (to price their goods)."""
    if user_id is None:
        return None
    name = db.session.scalar(select(Order.ship_province).where(
        Order.user_id == user_id, Order.ship_province.is_not(None)).order_by(Order.id.desc()).limit(1))
    return name if name in PROVINCE_NAMES else None


def parse_days(text: str) -> tuple[int, int]:
    """'3–5', '3-5天', '4' -> (min, max); ValueError outside 1–60 or unreadable."""
    match = _DAYS.match(unicodedata.normalize("NFKC", str(text or "")))
    if not match:
        raise ValueError(text)
    low = int(match.group(1))
    high = int(match.group(2) or low)
    if not 1 <= low <= high <= MAX_DAYS:
        raise ValueError(text)
    return low, high


def parse_fee(text: str) -> int:
    """'12', '12.50', '￥８' -> fen; ValueError for anything negative, unreadable or above ¥1,000."""
    fee = parse_major((text or "").strip())
    if fee > MAX_FEE_FEN:
        raise ValueError(text)
    return fee


def check_rows(rows: list[tuple[str, str, str]]) -> list[tuple[str | None, int, int, int]]:
    """(province or "" for the default, fee text, days text) rows as the console posts them ->
    (province or None, fee_fen, days_min, days_max) for the rows filled in. Raises ShippingError
    naming the first problem. A row with both fields empty is not listed (the default applies)."""
    seen: set[str] = set()
    result = []
    for index, (province, fee_text, days_text) in enumerate(rows):
        province = (province or "").strip()
        where = province_name(province) if province else _("Every other province")
        if province and province not in PROVINCE_NAMES:
            raise ShippingError(_("“%(name)s” is not a province we know.", name=province[:40]))
        if province in seen:
            raise ShippingError(_("%(province)s is listed twice.", province=where))
        seen.add(province)
        fee_text, days_text = (fee_text or "").strip(), (days_text or "").strip()
        if not fee_text and not days_text:
            if not province:
                raise ShippingError(_("Please fill in the fee and days for every other province."),
                                    field=f"fee-{index}")
            continue
        try:
            fee = parse_fee(fee_text)
        except ValueError:
            raise ShippingError(_("%(province)s: the fee must be an amount in yuan from 0 to 1,000, "
                                  "such as 12 or 12.50.", province=where), field=f"fee-{index}") from None
        try:
            low, high = parse_days(days_text)
        except ValueError:
            raise ShippingError(_("%(province)s: the delivery time must be days from 1 to 60, one "
                                  "number or two such as 3-5.", province=where),
                                field=f"days-{index}") from None
        result.append((province or None, fee, low, high))
    if None not in {row[0] for row in result}:
        raise ShippingError(_("Please fill in the fee and days for every other province."))
    return result


@use_case
def save_table(home_id: int, rows: list[tuple[str, str, str]]) -> list[ShippingRate]:
    """Replace the home's shipping table with the checked rows, all or nothing. Commits."""
    checked = check_rows(rows)
    db.session.execute(delete(ShippingRate).where(ShippingRate.home_id == home_id))
    saved = [ShippingRate(home_id=home_id, province=province, fee_fen=fee, days_min=low, days_max=high)
             for province, fee, low, high in checked]
    db.session.add_all(saved)
    db.session.commit()
    return saved
