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
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from market import clock
from market.accounts.service import role_in_home
from market.ledger import entries
from market.ledger import service as ledger
from market.money import format_money, parse_major
from models import Home, db
from models.fund import (
    DISBURSEMENT_CATEGORIES,
    GRANT_SOURCES,
    SETTLEMENT_ACCOUNTS,
    Disbursement,
    Donation,
    Grant,
    Settlement,
)

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


def available_fen(home_id: int) -> int:
    return ledger.home_balances(home_id).get("care_fund:available", 0)


RELEASE_EVERY_SECONDS = 60
_last_release: dict[tuple[str, int | None], float] = {}


def release_due_income(home_id: int | None = None, *, force: bool = False) -> None:
    """Move care-fund income that can no longer be refunded from pending to available.

    Called when pages read balances, at most once a minute per home and process (the ledger's
    `release_due` looks at every fulfilled order; `flask ledger release` runs it in full).
    The release entries are committed here.
    """
    import time

    key = (str(db.engine.url), home_id)
    moment = time.monotonic()
    every = current_app.config.get("FUND_RELEASE_EVERY_SECONDS", RELEASE_EVERY_SECONDS)
    if not force and moment - _last_release.get(key, -1e9) < every:
        return
    _last_release[key] = moment
    try:
        if entries.release_due(clock.now(), home_id=home_id):
            db.session.commit()
        else:
            db.session.rollback()
    except Exception:  # a busy database must never break a read-only page
        db.session.rollback()
        current_app.logger.warning("care fund release skipped", exc_info=True)


# ---- disbursements (four eyes) -------------------------------------------------------------

def receipts_root() -> Path:
    configured = current_app.config.get("RECEIPT_ROOT")
    if configured:
        return Path(configured)
    return Path(current_app.config["INSTANCE_DIR"]) / "receipts"


@dataclass
class Proposal:
    category: str
    amount_fen: int
    payee: str
    spent_on: date
    description: str


def propose_disbursement(home_id: int, user, proposal: Proposal, receipt) -> Disbursement:
    """Staff (or a supervisor) of the home propose spending from the AVAILABLE care fund.

    `receipt` is a file-like object (FileStorage): a PDF or a JPEG/PNG/WebP picture.
    Nothing is posted: the ledger entry comes with a supervisor's approval.
    """
    from market.uploads import UploadError, remove_stored, store_document

    home = _home(home_id)
    _member_role(user, home.id)
    if proposal.category not in DISBURSEMENT_CATEGORIES:
        raise FundError(_("Choose a category."))
    amount = check_amount(proposal.amount_fen)
    payee = (proposal.payee or "").strip()
    if not payee:
        raise FundError(_("Say who was paid."))
    _check_day(home, proposal.spent_on, _("Give the date of the spending."))
    available = available_fen(home.id)
    if amount > available:
        raise FundError(_("That is more than the available care fund (%(available)s).",
                          available=format_money(available)))
    try:
        stored = store_document(receipt, root=receipts_root(),
                                max_bytes=current_app.config["UPLOAD_MAX_BYTES"])
    except UploadError as error:
        raise FundError(str(error)) from None
    disbursement = Disbursement(
        home_id=home.id, category=proposal.category, amount_fen=amount, payee=payee[:120],
        spent_on=proposal.spent_on, description=(proposal.description or "").strip(),
        receipt_path=stored.path, receipt_content_type=stored.content_type, created_at=clock.now(),
        status="proposed", proposed_by_id=user.id,
    )
    db.session.add(disbursement)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        remove_stored(receipts_root(), stored.path, stored.thumb_path)
        raise
    return disbursement


def get_disbursement(home_id: int, disbursement_id: int) -> Disbursement:
    found = db.session.get(Disbursement, disbursement_id) if isinstance(disbursement_id, int) else None
    if found is None or found.home_id != home_id:
        raise FundNotFound(_("No such spending proposal in this home."))
    return found


def apply_decide_disbursement(home_id: int, disbursement_id: int, user, *, approve: bool,
                              comment: str = "") -> Disbursement:
    """A supervisor of the home approves (posting the entry) or rejects; never their own."""
    home = _home(home_id)
    role = _member_role(user, home.id)
    disbursement = get_disbursement(home.id, disbursement_id)
    if role != "supervisor":
        raise FundForbidden(_("Only a supervisor of this home can approve or reject spending."))
    if disbursement.status != "proposed":
        raise FundError(_("This proposal was already %(status)s.", status=status_label(disbursement.status)))
    if disbursement.proposed_by_id == user.id:
        raise FundError(_("Nobody can approve or reject their own proposal. Ask another supervisor."))
    comment = (comment or "").strip()
    if not approve and not comment:
        raise FundError(_("Say why the proposal is rejected."))
    # One conditional UPDATE: two supervisors deciding at once cannot both win.
    claimed = db.session.execute(
        update(Disbursement)
        .where(Disbursement.id == disbursement.id, Disbursement.status == "proposed")
        .values(status="approved" if approve else "rejected", decided_by_id=user.id,
                decision_comment=comment, decided_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise FundError(_("This proposal was decided by someone else just now."))
    db.session.refresh(disbursement)
    if approve:
        available = available_fen(home.id)
        if disbursement.amount_fen > available:
            raise FundError(_("That is more than the available care fund (%(available)s).",
                              available=format_money(available)))
        try:
            entry = entries.post_disbursement(
                home_id=home.id, amount_fen=disbursement.amount_fen, disbursement_id=disbursement.id,
                category=disbursement.category,
                memo=f"Care fund spending: {disbursement.category} — {disbursement.payee}",
            )
        except ledger.LedgerError as error:
            raise FundError(_("The ledger refused this spending: %(reason)s", reason=str(error))) from None
        if entry is not None:
            disbursement.entry_id = entry.id
    return disbursement


def decide_disbursement(home_id: int, disbursement_id: int, user, *, approve: bool,
                        comment: str = "") -> Disbursement:
    try:
        disbursement = apply_decide_disbursement(home_id, disbursement_id, user, approve=approve,
                                                 comment=comment)
    except FundError:
        db.session.rollback()
        raise
    db.session.commit()
    return disbursement


def home_disbursements(home_id: int, status: str | None = None, limit: int = 100) -> list[Disbursement]:
    query = select(Disbursement).where(Disbursement.home_id == home_id)
    if status:
        query = query.where(Disbursement.status == status)
    return list(db.session.scalars(query.order_by(Disbursement.id.desc()).limit(limit)))


def status_label(status: str) -> str:
    return {
        "proposed": _("proposed"), "approved": _("approved"), "rejected": _("rejected"),
        "pending": _("waiting for payment"), "received": _("received"), "cancelled": _("cancelled"),
    }.get(status, status)


# ---- donations -----------------------------------------------------------------------------

def _new_reference() -> str:
    return "D" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(7))


def create_donation(home_id: int, amount_fen: int, *, donor_name: str = "", anonymous: bool = True,
                    message: str = "", provider: str = "offline", donor_user=None) -> Donation:
    """A pledged donation, waiting for its payment. Nothing is posted until money arrives."""
    home = _home(home_id)
    if home.status != "active":
        raise FundNotFound(_("No such home."))
    amount = check_amount(amount_fen)
    name = (donor_name or "").strip()[:80]
    if not anonymous and not name:
        raise FundError(_("Give the name to show, or choose to give anonymously."))
    donation = Donation(
        reference=_new_reference(), home_id=home.id, amount_fen=amount,
        donor_name="" if anonymous else name, anonymous=bool(anonymous),
        message=(message or "").strip()[:500], provider=provider, created_at=clock.now(),
        donor_user_id=getattr(donor_user, "id", None) if getattr(donor_user, "is_authenticated", False)
        else None,
    )
    db.session.add(donation)
    db.session.commit()
    return donation


def apply_confirm_donation(donation_id: int, amount_fen: int, provider: str,
                           provider_ref: str | None = None, *, actor=None) -> Donation:
    """Record that a donation's money arrived and post it 100% to the care fund. No commit.

    Idempotent: a donation already received is returned unchanged (a webhook may arrive twice).
    `amount_fen` is what was actually received (it may differ from the pledge; that amount posts).
    """
    donation = db.session.get(Donation, donation_id) if isinstance(donation_id, int) else None
    if donation is None:
        raise FundNotFound(_("No such donation."))
    if donation.status == "received":
        return donation
    if donation.status == "cancelled":
        raise FundError(_("This donation was cancelled."))
    amount = check_amount(amount_fen)
    claimed = db.session.execute(
        update(Donation)
        .where(Donation.id == donation.id, Donation.status == "pending")
        .values(status="received", received_fen=amount, provider=provider, provider_ref=provider_ref,
                confirmed_by_id=getattr(actor, "id", None), confirmed_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(donation)
    if claimed != 1:
        return donation
    memo = "Donation to the care fund"
    if donation.public_name:
        memo += f" from {donation.public_name}"
    try:
        entry = entries.post_donation(home_id=donation.home_id, amount_fen=amount,
                                     donation_id=donation.id, memo=memo)
    except ledger.LedgerError as error:
        raise FundError(_("The ledger refused this donation: %(reason)s", reason=str(error))) from None
    if entry is not None:
        donation.entry_id = entry.id
    return donation


def confirm_donation(donation_id: int, amount_fen: int, provider: str, provider_ref: str | None = None,
                     *, actor=None) -> Donation:
    """For payment providers (e.g. the Stripe webhook): the donation's money arrived. Commits.

    Use `apply_confirm_donation` instead when you already hold a transaction you will commit.
    """
    try:
        donation = apply_confirm_donation(donation_id, amount_fen, provider, provider_ref, actor=actor)
    except FundError:
        db.session.rollback()
        raise
    db.session.commit()
    return donation


def get_donation(home_id: int, donation_id: int) -> Donation:
    found = db.session.get(Donation, donation_id) if isinstance(donation_id, int) else None
    if found is None or found.home_id != home_id:
        raise FundNotFound(_("No such donation in this home."))
    return found


def staff_confirm_donation(home_id: int, donation_id: int, user, amount_fen: int) -> Donation:
    """Staff of the home saw the (offline) money arrive."""
    home = _home(home_id)
    _member_role(user, home.id)
    donation = get_donation(home.id, donation_id)
    if donation.status != "pending":
        raise FundError(_("This donation is already %(status)s.", status=status_label(donation.status)))
    return confirm_donation(donation.id, amount_fen, "offline", None, actor=user)


def staff_cancel_donation(home_id: int, donation_id: int, user) -> Donation:
    home = _home(home_id)
    _member_role(user, home.id)
    donation = get_donation(home.id, donation_id)
    claimed = db.session.execute(
        update(Donation)
        .where(Donation.id == donation.id, Donation.status == "pending")
        .values(status="cancelled", confirmed_by_id=user.id, confirmed_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise FundError(_("This donation is already %(status)s.", status=status_label(donation.status)))
    db.session.commit()
    db.session.refresh(donation)
    return donation


def apply_cancel_pending_donation(donation_id: int) -> bool:
    """A pledge whose online payment ended unpaid (a payment provider says so). No commit.
    False if it was no longer pending."""
    return db.session.execute(
        update(Donation)
        .where(Donation.id == donation_id, Donation.status == "pending")
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def home_donations(home_id: int, status: str | None = None, limit: int = 100) -> list[Donation]:
    query = select(Donation).where(Donation.home_id == home_id)
    if status:
        query = query.where(Donation.status == status)
    return list(db.session.scalars(query.order_by(Donation.id.desc()).limit(limit)))


# ---- grants and settlements ----------------------------------------------------------------

def _can_record_grant(user, home_id: int) -> None:
    if getattr(user, "is_admin", False):
        return
    role = _member_role(user, home_id)
    if role != "supervisor":
        raise FundForbidden(_("Only a supervisor of this home or an administrator can record a grant."))


def apply_record_grant(home_id: int, user, *, source: str, source_name: str, amount_fen: int,
                       received_on: date, note: str = "") -> Grant:
    home = _home(home_id)
    _can_record_grant(user, home.id)
    if source not in GRANT_SOURCES:
        raise FundError(_("Choose where the money came from."))
    name = (source_name or "").strip()
    if not name:
        raise FundError(_("Give the name of the source, for example the township government."))
    amount = check_amount(amount_fen)
    _check_day(home, received_on, _("Give the date the money was received."))
    grant = Grant(home_id=home.id, source=source, source_name=name[:120], amount_fen=amount,
                  received_on=received_on, note=(note or "").strip(), recorded_by_id=user.id,
                  created_at=clock.now())
    db.session.add(grant)
    db.session.flush()
    try:
        entry = entries.post_grant(home_id=home.id, amount_fen=amount, grant_id=grant.id, source=source,
                                  memo=f"Grant from {name} ({source})")
    except ledger.LedgerError as error:
        raise FundError(_("The ledger refused this grant: %(reason)s", reason=str(error))) from None
    if entry is not None:
        grant.entry_id = entry.id
    return grant


def record_grant(home_id: int, user, **fields) -> Grant:
    try:
        grant = apply_record_grant(home_id, user, **fields)
    except FundError:
        db.session.rollback()
        raise
    db.session.commit()
    return grant


def apply_record_settlement(home_id: int, user, *, account_code: str, amount_fen: int, paid_on: date,
                            reference: str = "") -> Settlement:
    if not getattr(user, "is_admin", False):
        raise FundForbidden(_("Only an administrator can record a settlement."))
    home = _home(home_id)
    if account_code not in SETTLEMENT_ACCOUNTS:
        raise FundError(_("Choose the account the money was paid from."))
    amount = check_amount(amount_fen)
    _check_day(home, paid_on, _("Give the date the money was paid."))
    owed = ledger.home_balances(home.id).get(account_code, 0)
    if amount > owed:
        raise FundError(_("That is more than the home is owed on this account (%(owed)s).",
                          owed=format_money(owed)))
    settlement = Settlement(home_id=home.id, account_code=account_code, amount_fen=amount,
                            paid_on=paid_on, reference=(reference or "").strip()[:120],
                            recorded_by_id=user.id, created_at=clock.now())
    db.session.add(settlement)
    db.session.flush()
    try:
        entry = entries.post_settlement(home_id=home.id, amount_fen=amount, settlement_id=settlement.id,
                                       account_code=account_code,
                                       memo=f"Settlement paid to the home ({account_code})")
    except ledger.LedgerError as error:
        raise FundError(_("The ledger refused this settlement: %(reason)s", reason=str(error))) from None
    if entry is not None:
        settlement.entry_id = entry.id
    return settlement


def record_settlement(home_id: int, user, **fields) -> Settlement:
    try:
        settlement = apply_record_settlement(home_id, user, **fields)
    except FundError:
        db.session.rollback()
        raise
    db.session.commit()
    return settlement


def home_grants(home_id: int, limit: int = 100) -> list[Grant]:
    query = select(Grant).where(Grant.home_id == home_id).order_by(Grant.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def home_settlements(home_id: int, limit: int = 100) -> list[Settlement]:
    query = select(Settlement).where(Settlement.home_id == home_id).order_by(Settlement.id.desc())
    return list(db.session.scalars(query.limit(limit)))
