"""Corrections of mistaken ledger entries, four eyes: one person (staff or supervisor of the
home) proposes taking back an entry with a reason; another decides (`service.check_decider`: a
supervisor who did not propose it, or the administrator when the home has no other supervisor);
the proposer may withdraw it while undecided. Approval posts the reversing entry
(`ledger.entries.post_reversal`); nothing is edited or deleted. The public entry pages link the
mistaken entry and its reversal both ways."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from market import clock
from market.fund.service import (
    FundError,
    FundNotFound,
    _home,
    _member_role,
    check_decider,
    claim_proposal,
    status_label,
)
from market.ledger import fund_entries
from market.ledger import service as ledger
from market.notify.service import apply_proposal
from models import db
from models.fund import CORRECTABLE_KINDS, Correction
from models.ledger import JournalEntry

REASON_MAX = 500


def _entry_of_home(home_id: int, seq) -> JournalEntry:
    entry = ledger.entry_by_seq(seq) if isinstance(seq, int) and 0 < seq < 2**31 else None
    if entry is None or entry.home_id != home_id:
        raise FundError(_("There is no entry with this number in this home's care fund."))
    return entry


def propose_correction(home_id: int, user, seq: int, reason: str) -> Correction:
    home = _home(home_id)
    _member_role(user, home.id)
    entry = _entry_of_home(home.id, seq)
    if entry.kind not in CORRECTABLE_KINDS or entry.source_type == "correction":
        raise FundError(_("Only donations, subsidies and grants, spending and settlements can be corrected; "
                          "a sale is corrected by a refund."))
    reason = (reason or "").strip()
    if not reason:
        raise FundError(_("Say what is wrong with the entry."))
    if len(reason) > REASON_MAX:
        raise FundError(_("At most %(num)d characters, please.", num=REASON_MAX))
    taken = db.session.scalar(select(Correction.id).where(
        Correction.entry_id == entry.id, Correction.status.in_(("proposed", "approved"))))
    if taken is not None:
        raise FundError(_("A correction of this entry is already proposed or done."))
    correction = Correction(home_id=home.id, entry_id=entry.id, reason=reason, status="proposed",
                            proposed_by_id=user.id, created_at=clock.now())
    db.session.add(correction)
    db.session.flush()
    apply_proposal(home.id, user.id, "correction", correction.id, proposer=user.name, seq=entry.seq,
                   reason=reason)
    db.session.commit()
    return correction


def get_correction(home_id: int, correction_id) -> Correction:
    found = db.session.get(Correction, correction_id) if isinstance(correction_id, int) else None
    if found is None or found.home_id != home_id:
        raise FundNotFound(_("No such correction in this home."))
    return found


def decide_correction(home_id: int, correction_id: int, user, *, approve: bool,
                      comment: str = "") -> Correction:
    try:
        home = _home(home_id)
        correction = get_correction(home.id, correction_id)
        check_decider(home.id, correction.proposed_by_id, user)
        if correction.status != "proposed":
            raise FundError(_("This proposal was already %(status)s.",
                              status=status_label(correction.status)))
        comment = (comment or "").strip()
        if not approve and not comment:
            raise FundError(_("Say why the proposal is rejected."))
        claim_proposal(correction, _("This proposal was decided by someone else just now."),
                       status="approved" if approve else "rejected", decided_by_id=user.id,
                       decision_comment=comment[:2000], decided_at=clock.now())
        if approve:
            original = db.session.get(JournalEntry, correction.entry_id)
            try:
                reversal = fund_entries.post_reversal(
                    original, correction_id=correction.id,
                    memo=f"Correction of entry #{original.seq}: {correction.reason}")
            except ledger.LedgerError as error:
                raise FundError(str(error)) from None
            correction.reversal_entry_id = reversal.id
    except FundError:
        db.session.rollback()
        raise
    db.session.commit()
    return correction


def withdraw_correction(home_id: int, correction_id: int, user) -> Correction:
    """The proposer takes back a proposal nobody has decided yet."""
    try:
        home = _home(home_id)
        _member_role(user, home.id)
        correction = get_correction(home.id, correction_id)
        if correction.proposed_by_id != user.id:
            raise FundError(_("Only the person who proposed it can withdraw it."))
        if correction.status != "proposed":
            raise FundError(_("This proposal was already %(status)s.",
                              status=status_label(correction.status)))
        claim_proposal(correction, _("This proposal was decided by someone else just now."),
                       status="withdrawn", decided_at=clock.now())
    except FundError:
        db.session.rollback()
        raise
    db.session.commit()
    return correction


def home_corrections(home_id: int, status: str | None = None, limit: int = 50) -> list[Correction]:
    query = select(Correction).where(Correction.home_id == home_id)
    if status:
        query = query.where(Correction.status == status)
    return list(db.session.scalars(query.order_by(Correction.id.desc()).limit(limit)))


def public_links(entry: JournalEntry) -> dict:
    """For an entry's public page: the entry it corrects (with the reason), or the approved
    correction that took it back (its reversing entry's seq and the reason)."""
    links = {}
    if entry.source_type == "correction" and entry.source_id is not None:
        correction = db.session.get(Correction, entry.source_id)
        if correction is not None:
            links["corrects"] = (correction.entry.seq, correction.reason)
    else:
        row = db.session.execute(
            select(JournalEntry.seq, Correction.reason)
            .join(Correction, Correction.reversal_entry_id == JournalEntry.id)
            .where(Correction.entry_id == entry.id, Correction.status == "approved")
        ).first()
        if row is not None:
            links["corrected_by"] = (row[0], row[1])
    return links
