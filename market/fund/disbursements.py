"""Spending from the care fund, four eyes: staff propose with a receipt, a supervisor (never
the proposer) approves, and only then is the disbursement posted to the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from market import clock
from market.accounts.service import role_in_home
from market.fund.service import (
    FundError,
    FundForbidden,
    FundNotFound,
    _check_day,
    _home,
    _member_role,
    available_fen,
    check_amount,
    check_decider,
    status_label,
)
from market.ledger import fund_entries
from market.ledger import service as ledger
from market.money import format_money
from market.notify.service import apply_proposal
from models import db
from models.fund import (
    DISBURSEMENT_CATEGORIES,
    Disbursement,
)


def receipts_root():
    """Where receipts and grant documents are kept: a private Storage (market/storage.py), the
    folder RECEIPT_ROOT (default INSTANCE_DIR/receipts) or the shared object store."""
    from market import storage

    return storage.receipts()


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
        db.session.flush()
        apply_proposal(home.id, user.id, "disbursement", disbursement.id, proposer=user.name,
                       amount_fen=amount, payee=disbursement.payee)
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
    """A supervisor of the home approves (posting the entry) or rejects; never their own. When
    no other supervisor of the home exists, the administrator decides (`check_decider`)."""
    home = _home(home_id)
    if role_in_home(user, home.id) is None and not getattr(user, "is_admin", False):
        raise FundNotFound(_("No such home."))
    disbursement = get_disbursement(home.id, disbursement_id)
    if disbursement.status != "proposed":
        raise FundError(_("This proposal was already %(status)s.", status=status_label(disbursement.status)))
    try:
        check_decider(home.id, disbursement.proposed_by_id, user)
    except FundForbidden:
        if role_in_home(user, home.id) == "staff":
            raise FundForbidden(_("Only a supervisor of this home can approve or reject spending.")) from None
        raise
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
            entry = fund_entries.post_disbursement(
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


def withdraw_disbursement(home_id: int, disbursement_id: int, user) -> Disbursement:
    """The proposer takes back a spending proposal nobody has decided yet."""
    try:
        home = _home(home_id)
        if role_in_home(user, home.id) is None:
            raise FundNotFound(_("No such home."))
        disbursement = get_disbursement(home.id, disbursement_id)
        if disbursement.proposed_by_id != user.id:
            raise FundError(_("Only the person who proposed it can withdraw it."))
        claimed = db.session.execute(
            update(Disbursement)
            .where(Disbursement.id == disbursement.id, Disbursement.status == "proposed")
            .values(status="withdrawn", decided_at=clock.now())
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            raise FundError(_("This proposal was already %(status)s.",
                              status=status_label(disbursement.status)))
    except FundError:
        db.session.rollback()
        raise
    db.session.commit()
    db.session.refresh(disbursement)
    return disbursement


def home_disbursements(home_id: int, status: str | None = None, limit: int = 100) -> list[Disbursement]:
    query = select(Disbursement).where(Disbursement.home_id == home_id)
    if status:
        query = query.where(Disbursement.status == status)
    return list(db.session.scalars(query.order_by(Disbursement.id.desc()).limit(limit)))



