"""Subsidies and grants paid to a home from outside (government, township, village collective,
…): recorded by a supervisor or an administrator WITH their document (a scan, photo or PDF of
the payment notice), and counted as available care fund only when a second person confirmed
them (another supervisor of the home or an administrator, never the one who recorded it). The
ledger entry is posted at confirmation; until then the grant is not available money."""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from market import clock
from market.accounts.service import role_in_home
from market.fund.disbursements import receipts_root
from market.fund.service import (
    FundError,
    FundForbidden,
    FundNotFound,
    _check_day,
    _home,
    _member_role,
    check_amount,
)
from market.ledger import fund_entries
from market.ledger import service as ledger
from models import db
from models.fund import (
    GRANT_SOURCES,
    Grant,
)


def _can_record_grant(user, home_id: int) -> None:
    if getattr(user, "is_admin", False):
        return
    role = _member_role(user, home_id)
    if role != "supervisor":
        raise FundForbidden(_("Only a supervisor of this home or an administrator can record a grant."))


def apply_record_grant(home_id: int, user, *, source: str, source_name: str, amount_fen: int,
                       received_on: date, note: str = "", document=None) -> Grant:
    """Record a grant with its document; nothing is posted until a second person confirms it.
    `document` is a file-like object (FileStorage): a PDF or a JPEG/PNG/WebP picture."""
    from market.uploads import UploadError, store_document

    home = _home(home_id)
    _can_record_grant(user, home.id)
    if source not in GRANT_SOURCES:
        raise FundError(_("Choose where the money came from."))
    name = (source_name or "").strip()
    if not name:
        raise FundError(_("Give the name of the source, for example the township government."))
    amount = check_amount(amount_fen)
    _check_day(home, received_on, _("Give the date the money was received."))
    if document is None or (hasattr(document, "filename") and not document.filename):
        raise FundError(_("Attach the document: a scan or photo of the payment notice, or a PDF."))
    try:
        stored = store_document(document, root=receipts_root(),
                                max_bytes=current_app.config["UPLOAD_MAX_BYTES"])
    except UploadError as error:
        raise FundError(str(error)) from None
    grant = Grant(home_id=home.id, source=source, source_name=name[:120], amount_fen=amount,
                  received_on=received_on, note=(note or "").strip(), recorded_by_id=user.id,
                  document_path=stored.path, document_content_type=stored.content_type,
                  status="recorded", created_at=clock.now())
    db.session.add(grant)
    db.session.flush()
    return grant


def record_grant(home_id: int, user, **fields) -> Grant:
    from market.uploads import remove_stored

    try:
        grant = apply_record_grant(home_id, user, **fields)
    except FundError:
        db.session.rollback()
        raise
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        remove_stored(receipts_root(), grant.document_path, None)
        raise
    return grant


def get_grant(home_id: int, grant_id) -> Grant:
    found = db.session.get(Grant, grant_id) if isinstance(grant_id, int) else None
    if found is None or found.home_id != home_id:
        raise FundNotFound(_("No such subsidy or grant in this home."))
    return found


def check_confirmer(home_id: int, grant: Grant, user) -> None:
    role = role_in_home(user, home_id)
    is_admin = bool(getattr(user, "is_admin", False))
    if role is None and not is_admin:
        raise FundNotFound(_("No such home."))
    if role != "supervisor" and not is_admin:
        raise FundForbidden(_("Only a supervisor of this home or an administrator can confirm a grant."))
    if grant.recorded_by_id == user.id:
        raise FundError(_("Someone other than the person who recorded it must confirm it."))


def can_confirm(home_id: int, grant: Grant, user) -> bool:
    try:
        check_confirmer(home_id, grant, user)
    except FundError:
        return False
    return grant.status == "recorded"


def apply_confirm_grant(home_id: int, grant_id: int, user) -> Grant:
    """A second person confirms the grant against its document: the money enters the available
    care fund (the ledger entry is posted now)."""
    home = _home(home_id)
    if role_in_home(user, home.id) is None and not getattr(user, "is_admin", False):
        raise FundNotFound(_("No such home."))
    grant = get_grant(home.id, grant_id)
    check_confirmer(home.id, grant, user)
    claimed = db.session.execute(
        update(Grant).where(Grant.id == grant.id, Grant.status == "recorded")
        .values(status="confirmed", confirmed_by_id=user.id, confirmed_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.refresh(grant)
        if grant.status == "rejected":
            raise FundError(_("This subsidy or grant was rejected: it cannot be confirmed."))
        raise FundError(_("This grant is already confirmed."))
    db.session.refresh(grant)
    try:
        entry = fund_entries.post_grant(home_id=home.id, amount_fen=grant.amount_fen, grant_id=grant.id,
                                   source=grant.source,
                                   memo=f"Grant from {grant.source_name} ({grant.source})")
    except ledger.LedgerError as error:
        raise FundError(_("The ledger refused this grant: %(reason)s", reason=str(error))) from None
    if entry is not None:
        grant.entry_id = entry.id
    return grant


def confirm_grant(home_id: int, grant_id: int, user) -> Grant:
    try:
        grant = apply_confirm_grant(home_id, grant_id, user)
    except FundError:
        db.session.rollback()
        raise
    db.session.commit()
    return grant


def reject_grant(home_id: int, grant_id: int, user, *, reason: str) -> Grant:
    """A second person (who may confirm) rejects a recorded grant with a reason: it never counts
    as money (a wrong amount, a document that does not match). Nothing is posted."""
    try:
        home = _home(home_id)
        if role_in_home(user, home.id) is None and not getattr(user, "is_admin", False):
            raise FundNotFound(_("No such home."))
        grant = get_grant(home.id, grant_id)
        check_confirmer(home.id, grant, user)
        reason = " ".join(str(reason or "").split())
        if not reason:
            raise FundError(_("Say why the subsidy or grant is rejected."))
        if len(reason) > 2000:
            raise FundError(_("The reason is too long (at most 2000 characters)."))
        claimed = db.session.execute(
            update(Grant).where(Grant.id == grant.id, Grant.status == "recorded")
            .values(status="rejected", confirmed_by_id=user.id, confirmed_at=clock.now(),
                    rejection_reason=reason)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            raise FundError(_("This subsidy or grant was already decided."))
    except FundError:
        db.session.rollback()
        raise
    db.session.commit()
    db.session.refresh(grant)
    return grant


def home_grants(home_id: int, limit: int = 100, status: str | None = None) -> list[Grant]:
    query = select(Grant).where(Grant.home_id == home_id)
    if status:
        query = query.where(Grant.status == status)
    return list(db.session.scalars(query.order_by(Grant.id.desc()).limit(limit)))
