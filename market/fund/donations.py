"""Donations to a home's care fund: pledged by anyone, paid offline (staff confirm) or online
(a provider confirms through hooks); 100% of what arrives goes to the care fund, once."""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import select, update

from market import clock
from market.fund.service import (
    _REFERENCE_ALPHABET,
    FundError,
    FundNotFound,
    _home,
    _member_role,
    check_amount,
    status_label,
)
from market.ledger import fund_entries
from market.ledger import service as ledger
from market.notify.service import apply_donation_pledged
from models import db
from models.fund import (
    Donation,
)


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
    db.session.flush()
    apply_donation_pledged(donation)
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
        entry = fund_entries.post_donation(home_id=donation.home_id, amount_fen=amount,
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


