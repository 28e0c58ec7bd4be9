"""How a buyer pays an order offline: steps worded for what the order holds, and the details
(payee, account, phone, a note) each home's staff keep up to date.

Goods are paid before they are shipped, so an order with goods never says "pay in cash when
you arrive"; tours and stays offer cash only when the visit starts before the hold ends
(after that the places are released, so paying on arrival could find them gone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from market.booking.service import check_in_at
from market.i18n import localized
from market.orders.errors import OrderError
from models import Home, Order, db
from models.catalog import GOODS

PHONE = re.compile(r"^\+?[\d\s\-()]{5,20}$")
LIMITS = {"payee": 120, "account": 120, "phone": 20, "note_zh": 1000, "note_en": 1000}


def _visit_starts(order: Order) -> datetime | None:
    starts = [line.tour_session.starts_at for line in order.lines
              if line.kind == "tour" and line.tour_session is not None]
    starts += [check_in_at(line.check_in) for line in order.lines
               if line.kind == "homestay" and line.check_in is not None]
    return min(starts) if starts else None


def offline_steps(order: Order) -> list[str]:
    """What to do, in order, to pay this order to the home."""
    home = order.home
    has_details = home is not None and bool(home.pay_account or home.pay_phone)
    if any(line.kind in GOODS for line in order.lines):
        first = _("Please pay by transfer to the home, using the details below. The home ships the "
                  "goods once the money has arrived.")
    else:
        arrive = _visit_starts(order)
        if arrive is not None and order.hold_expires_at is not None and arrive <= order.hold_expires_at:
            first = _("Pay in cash when you arrive, or by transfer to the home using the details below.")
        else:
            first = _("Please pay by transfer to the home, using the details below, before the time "
                      "shown: the home keeps your places until then.")
    if not has_details:
        first = _("The home has not put its payment details online yet. Please ask the home how to "
                  "pay.")
    return [first, _("Quote the reference %(reference)s with your payment.", reference=order.reference),
            _("The home marks the order paid when the money arrives.")]


@dataclass
class Details:
    payee: str = ""
    account: str = ""
    phone: str = ""
    note_zh: str = ""
    note_en: str = ""


def details_of(home: Home) -> Details:
    return Details(home.pay_payee, home.pay_account, home.pay_phone, home.pay_note_zh, home.pay_note_en)


def shown_details(home: Home | None) -> list[tuple[str, str]]:
    """(label, value) pairs for the buyer, in their language; empty values left out."""
    if home is None:
        return []
    rows = [(_("Payee (account name)"), home.pay_payee), (_("Bank and account number"), home.pay_account),
            (_("Phone (WeChat Pay, Alipay or questions)"), home.pay_phone),
            (_("Note from the home"), localized(home, "pay_note"))]
    return [(label, value) for label, value in rows if value]


def check_details(details: Details) -> dict[str, str]:
    """Field name → translated message for each problem (empty when all is well)."""
    errors = {}
    for name, limit in LIMITS.items():
        if len(getattr(details, name).strip()) > limit:
            errors[name] = _("Please keep this under %(num)d characters.", num=limit)
    if details.phone.strip() and not PHONE.match(details.phone.strip()):
        errors["phone"] = _("Please give a phone number: digits, spaces, dashes, and + for abroad.")
    if details.account.strip() and not details.payee.strip():
        errors["payee"] = _("Please give the account holder's name, so that transfers reach the home.")
    return errors


def update_details(home_id: int, details: Details) -> Home:
    """Staff save how buyers pay their home; OrderError (nothing saved) when a field is wrong."""
    errors = check_details(details)
    if errors:
        raise OrderError(" ".join(errors.values()))
    home = db.session.get(Home, home_id)
    home.pay_payee, home.pay_account = details.payee.strip(), details.account.strip()
    home.pay_phone = details.phone.strip()
    home.pay_note_zh, home.pay_note_en = details.note_zh.strip(), details.note_en.strip()
    db.session.commit()
    return home
