"""The elders a home credits on its listings: display names, roles and incentive rates. Whether
an elder may be named on a public page is their consent, recorded in consent.py (an elder
without consent is never named on a public page); a new elder has none until it is recorded."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from market.catalog.service import (
    listings_over_full_share,
)
from market.ledger import audit
from market.manage.service import ManageError
from models import (
    Elder,
    Home,
    db,
)
from models.catalog import ELDER_ROLES


@dataclass
class ElderInput:
    display_name_zh: str
    display_name_en: str = ""
    role: str = "storyteller"
    bio_zh: str = ""
    bio_en: str = ""
    incentive_bps: int = 0


def _check_elder(data: ElderInput) -> None:
    name = (data.display_name_zh or "").strip()
    if not name:
        raise ManageError(_("Please give the name the home uses for this elder."), "display_name_zh")
    if len(name) > 60 or len((data.display_name_en or "").strip()) > 80:
        raise ManageError(_("The name is too long."), "display_name_zh")
    if data.role not in ELDER_ROLES:
        raise ManageError(_("Choose a role from the list."), "role")
    if data.incentive_bps is None or not 0 <= data.incentive_bps <= 5000:
        raise ManageError(_("The elder's incentive must be between 0 and 50 percent."), "incentive")


def _apply_elder(elder: Elder, data: ElderInput) -> None:
    elder.display_name_zh = data.display_name_zh.strip()
    elder.display_name_en = (data.display_name_en or "").strip()
    elder.role = data.role
    elder.bio_zh = (data.bio_zh or "").strip()
    elder.bio_en = (data.bio_en or "").strip()
    elder.incentive_bps = data.incentive_bps


def create_elder(home: Home, data: ElderInput) -> Elder:
    _check_elder(data)
    elder = Elder(home_id=home.id, consent_public=False)
    _apply_elder(elder, data)
    db.session.add(elder)
    db.session.flush()
    _log_incentive(elder, None)
    db.session.commit()
    return elder


def update_elder(home: Home, elder: Elder, data: ElderInput) -> Elder:
    if elder.home_id != home.id:
        raise ManageError(_("This elder belongs to another home."))
    _check_elder(data)
    over = listings_over_full_share(home, incentives={elder.id: data.incentive_bps})
    if over:
        raise ManageError(_("With this incentive, the care share and the platform fee would add up to more "
                            "than the price of “%(title)s”.", title=over[0].title_zh), "incentive")
    before = elder.incentive_bps
    _apply_elder(elder, data)
    _log_incentive(elder, before)
    db.session.commit()
    return elder


def _log_incentive(elder: Elder, before: int | None) -> None:
    """An elder's incentive rate goes into the home's public audit log (the elder by the name the
    home uses publicly only with their consent; otherwise by number)."""
    name = elder.display_name_zh if elder.consent_public else ""
    audit.record_change(home_id=elder.home_id, what="elder_incentive",
                        subject={"elder": elder.id, "name": name}, before=before, after=elder.incentive_bps)
