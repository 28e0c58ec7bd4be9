"""The care fund's workflows: disbursements (four eyes), donations, grants and settlements.

Use-case functions take explicit arguments, check who may do what, call the ledger's posting
functions and commit once. Functions prefixed `apply_` do the same work without committing, for
callers that already hold a transaction (a payment webhook, the demo seed).

Errors: `FundError` (bad input or a state that forbids the action: a 409-style message the
user can act on), `FundNotFound` (no such record in this home, or the user is not a member of
the home: shown as 404 so that other homes stay invisible), `FundForbidden` (a member of the
home whose role does not allow it: 403). Every message is translated.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import update

from market import clock
from market.accounts.service import role_in_home
from market.ledger import entries
from market.ledger import service as ledger
from market.money import format_money, parse_major
from models import Home, db

MAX_AMOUNT_FEN = 10_000_000_00  # ¥10 million: more is a typing mistake for a village home's fund
DONATION_PRESETS_FEN = (2000, 5000, 10000, 20000)
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class FundError(ValueError):
    """An action the user must correct or cannot do now; str(error) is a translated message."""


class FundNotFound(FundError):
    """No such record in this home (or the user has no business in this home): 404."""


class FundForbidden(FundError):
    """The user belongs to the home but their role does not allow this: 403."""


# ---- input ---------------------------------------------------------------------------------

_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
_TOO_LONG = re.compile(r"[0-9]{10,}(?:\.[0-9]*)?")


def parse_amount(text) -> int:
    """'12.50' → 1250. FundError for empty, zero, negative, 3+ decimals or absurdly large.

    Full-width digits, point and yuan sign count as ASCII ones ('１２．５０'); commas are
    thousands separators only ('1,200.50'): a decimal comma ('12,50') is refused with a
    message to use a point, never read as ¥1,250.
    """
    value = unicodedata.normalize("NFKC", str(text if text is not None else ""))
    value = value.strip().removeprefix("¥").strip()
    if value.startswith("-"):
        raise FundError(_("The amount must be more than zero."))
    if "," in value:
        if not _GROUPED.fullmatch(value):
            raise FundError(_("Use a point for decimals, for example 12.50, not a comma."))
        value = value.replace(",", "")
    if _TOO_LONG.fullmatch(value):
        raise FundError(_too_large())
    try:
        fen = parse_major(value)
    except ValueError:
        raise FundError(_("Enter an amount in yuan with at most two decimals, for example 12.50.")) from None
    return check_amount(fen)


def _too_large() -> str:
    return _("The amount is too large: at most %(max)s.", max=format_money(MAX_AMOUNT_FEN))


def check_amount(fen) -> int:
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise FundError(_("Enter an amount in yuan with at most two decimals, for example 12.50."))
    if fen <= 0:
        raise FundError(_("The amount must be more than zero."))
    if fen > MAX_AMOUNT_FEN:
        raise FundError(_too_large())
    return fen


EARLIEST_DAY = date(2000, 1, 1)


def _check_day(home: Home, day, missing: str) -> date:
    """A date of money spent, received or paid: not in the future (the home's own calendar)
    nor before 2000. `missing` is the message for no date at all."""
    if not isinstance(day, date) or isinstance(day, datetime):
        raise FundError(missing)
    if day > clock.local_today(home=home):
        raise FundError(_("The date cannot be in the future."))
    if day < EARLIEST_DAY:
        raise FundError(_("The date is too far in the past: give a date from 2000 on."))
    return day


def _home(home_id) -> Home:
    home = db.session.get(Home, home_id) if isinstance(home_id, int) else None
    if home is None:
        raise FundNotFound(_("No such home."))
    return home


def _member_role(user, home_id: int) -> str:
    """The user's role in the home; FundNotFound when they have none (others' homes are invisible)."""
    role = role_in_home(user, home_id)
    if role is None:
        raise FundNotFound(_("No such home."))
    return role


def other_supervisors(home_id: int, proposer_id: int) -> int:
    """How many supervisors of the home there are besides the proposer."""
    from sqlalchemy import func, select

    from models import Membership

    return db.session.scalar(select(func.count(Membership.id)).where(
        Membership.home_id == home_id, Membership.role == "supervisor", Membership.user_id != proposer_id))


def goes_to_admin(home_id: int, proposer_id: int) -> bool:
    """A proposal no supervisor of the home may decide (the proposer is its only supervisor, or
    it has none) goes to the township level: the platform administrator decides."""
    return other_supervisors(home_id, proposer_id) == 0


def claim_proposal(row, message: str, **values) -> None:
    """Move a proposal (a row with `status`) on with one conditional UPDATE, so two people acting
    at once cannot both win; the loser gets FundError(message)."""
    model = type(row)
    claimed = db.session.execute(
        update(model).where(model.id == row.id, model.status == "proposed")
        .values(**values).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise FundError(message)
    db.session.refresh(row)


def check_decider(home_id: int, proposer_id: int, user) -> None:
    """Four eyes: a supervisor of the home who did not propose it decides; when there is no such
    supervisor, an administrator (never the proposer). Raises FundNotFound for outsiders,
    FundForbidden for members who may not, FundError for the proposer."""
    role = role_in_home(user, home_id)
    is_admin = bool(getattr(user, "is_admin", False))
    if role is None and not is_admin:
        raise FundNotFound(_("No such home."))
    if role != "supervisor" and not is_admin:
        raise FundForbidden(_("Only a supervisor of this home can approve or reject this."))
    if getattr(user, "id", None) == proposer_id:
        raise FundError(_("Nobody can approve or reject their own proposal. Ask another supervisor."))
    if role == "supervisor" or goes_to_admin(home_id, proposer_id):
        return
    raise FundForbidden(_("A supervisor of this home decides; the administrator decides only when "
                          "the home has no other supervisor."))


def can_decide(home_id: int, proposer_id: int, user) -> bool:
    try:
        check_decider(home_id, proposer_id, user)
    except FundError:
        return False
    return True


def available_fen(home_id: int) -> int:
    return ledger.home_balances(home_id).get("care_fund:available", 0)


def release_due_income(home_id: int | None = None) -> None:
    """Move care-fund income that can no longer be refunded from pending to available.

    Run every 10 minutes by the `fund.release_income` job (market/fund/tasks.py); pages only read
    (`flask ledger release` does the same by hand). The release entries are committed here.
    """
    try:
        if entries.release_due(clock.now(), home_id=home_id):
            db.session.commit()
        else:
            db.session.rollback()
    except Exception:  # a busy database: the next run releases it
        db.session.rollback()
        current_app.logger.warning("care fund release skipped", exc_info=True)


def status_label(status: str) -> str:
    """A spending proposal's or a donation's status in the reader's language."""
    return {
        "proposed": _("proposed"), "approved": _("approved"), "rejected": _("rejected"),
        "pending": _("waiting for payment"), "received": _("received"), "cancelled": _("cancelled"),
        "withdrawn": _("withdrawn"),
    }.get(status, status)
