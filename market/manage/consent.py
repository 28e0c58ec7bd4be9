"""An elder's consent, as the home's staff record it for them (most elders have no phone).

A record says what the elder agreed to (being named on listings and the fund pages, photos of
them, reviews that name them), how they said so (a signed paper form, or spoken in front of a
witness who is named), who of the staff wrote it down and when. Withdrawing ends every record
still in force at once. `Elder.consent_public` stays the one thing public pages read: it is
set here, in the same transaction, to "a record in force covers being named", so a withdrawal
hides the elder's name on the next page load. Photos and reviews: the record tells staff what
they may publish; the site does not yet check it by itself (docs/operations.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from market import clock
from market.database import use_case
from market.manage.service import ManageError
from models import Elder, ElderConsent, Home, db
from models.catalog import CONSENT_HOW

NOTE_MAX = 500
WITNESS_MAX = 80


@dataclass
class ConsentInput:
    covers_name: bool = False
    covers_photos: bool = False
    covers_reviews: bool = False
    how: str = ""
    witness_name: str = ""
    note: str = ""


def in_force(elder: Elder) -> ElderConsent | None:
    """The newest record not withdrawn, if any."""
    return db.session.scalar(
        select(ElderConsent).where(ElderConsent.elder_id == elder.id, ElderConsent.withdrawn_at.is_(None))
        .order_by(ElderConsent.recorded_at.desc(), ElderConsent.id.desc()).limit(1))


def history(elder: Elder) -> list[ElderConsent]:
    """Every record of the elder, newest first."""
    return list(db.session.scalars(select(ElderConsent).where(ElderConsent.elder_id == elder.id)
                                   .order_by(ElderConsent.recorded_at.desc(), ElderConsent.id.desc())))


def _mine(home: Home, elder: Elder) -> None:
    if elder.home_id != home.id:
        raise ManageError(_("This elder belongs to another home."))


def _check(data: ConsentInput) -> tuple[str, str]:
    if not (data.covers_name or data.covers_photos or data.covers_reviews):
        raise ManageError(_("Tick what the elder agreed to. If they agreed to nothing, there is nothing "
                            "to record."), "covers_name")
    if data.how not in CONSENT_HOW:
        raise ManageError(_("Choose how the elder gave their consent."), "how")
    witness = (data.witness_name or "").strip()
    note = (data.note or "").strip()
    if data.how == "spoken" and not witness:
        raise ManageError(_("Consent given by word of mouth needs a witness: write the witness's name."),
                          "witness_name")
    if len(witness) > WITNESS_MAX:
        raise ManageError(_("The name is too long."), "witness_name")
    if len(note) > NOTE_MAX:
        raise ManageError(_("Please keep the note under 500 characters."), "note")
    return witness, note


@use_case
def record_consent(home: Home, elder: Elder, data: ConsentInput, actor) -> ElderConsent:
    """Staff record what the elder agreed to, now. A new record replaces the one in force, which
    stays in the history as replaced. Commits."""
    _mine(home, elder)
    witness, note = _check(data)
    record = ElderConsent(
        elder_id=elder.id, home_id=home.id, covers_name=bool(data.covers_name),
        covers_photos=bool(data.covers_photos), covers_reviews=bool(data.covers_reviews), how=data.how,
        witness_name=witness, note=note, recorded_by_id=getattr(actor, "id", None), recorded_at=clock.now(),
        withdrawal_note="",
    )
    db.session.add(record)
    elder.consent_public = record.covers_name
    db.session.commit()
    return record


@use_case
def withdraw_consent(home: Home, elder: Elder, actor, note: str = "") -> int:
    """The elder (or someone for them) withdrew consent: every record in force ends now and the
    elder's name is hidden on public pages at once. Returns how many records ended. Commits."""
    _mine(home, elder)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ManageError(_("Please keep the note under 500 characters."), "note")
    active = list(db.session.scalars(select(ElderConsent).where(
        ElderConsent.elder_id == elder.id, ElderConsent.withdrawn_at.is_(None))))
    if not active and not elder.consent_public:
        raise ManageError(_("There is no consent to withdraw."))
    now = clock.now()
    for record in active:
        record.withdrawn_at, record.withdrawal_note = now, note
        record.withdrawn_by_id = getattr(actor, "id", None)
    elder.consent_public = False
    db.session.commit()
    return len(active)
