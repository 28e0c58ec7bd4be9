"""Platform admin use cases: homes, their care share, staff and supervisors. One commit each."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from market.accounts.service import find_user
from market.catalog.display import percent
from market.catalog.service import listings_over_full_share, platform_fee_bps
from market.database import use_case
from market.ledger import audit
from market.ledger.allocation import rates_fit
from models import Home, Membership, db
from models.accounts import ROLES
from models.catalog import HOME_STATUSES

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class AdminError(ValueError):
    """A change the admin pages refuse; str(error) is a translated message. Nothing was saved."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class HomeInput:
    slug: str
    name_zh: str
    name_en: str
    province_zh: str
    province_en: str
    county_zh: str
    county_en: str
    village_zh: str
    village_en: str
    story_zh: str = ""
    story_en: str = ""
    care_share_bps: int | None = 2000
    status: str = "active"


LIMITS = {
    "name_zh": 120, "name_en": 120, "province_zh": 40, "province_en": 60, "county_zh": 40,
    "county_en": 60, "village_zh": 60, "village_en": 80,
}


def list_homes() -> list[tuple[Home, int]]:
    """Every home with its number of members, by name."""
    counts = (
        select(Membership.home_id, func.count(Membership.id).label("members"))
        .group_by(Membership.home_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Home, func.coalesce(counts.c.members, 0))
        .outerjoin(counts, counts.c.home_id == Home.id)
        .order_by(Home.name_zh)
    )
    return [(home, members) for home, members in rows]


def home_members(home: Home) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.home_id == home.id)
            .options(selectinload(Membership.user))
            .order_by(Membership.role, Membership.id)
        )
    )


def _check_home(data: HomeInput, home: Home | None) -> None:
    slug = (data.slug or "").strip()
    if not slug or len(slug) > 80 or not SLUG.match(slug):
        raise AdminError(
            _("The web name may use small letters a–z, digits and single hyphens, e.g. qiantun-village."),
            "slug",
        )
    taken = db.session.scalar(select(Home.id).where(Home.slug == slug))
    if taken is not None and (home is None or taken != home.id):
        raise AdminError(_("Another home already uses this web name."), "slug")
    for name, limit in LIMITS.items():
        value = (getattr(data, name) or "").strip()
        if not value:
            raise AdminError(_("Please fill in this field."), name)
        if len(value) > limit:
            raise AdminError(_("At most %(num)d characters, please.", num=limit), name)
    if data.care_share_bps is None or not 0 <= data.care_share_bps <= 10000:
        raise AdminError(_("The care share must be between 0 and 100 percent."), "care_share")
    if not rates_fit(data.care_share_bps, 0, platform_fee_bps()):
        raise AdminError(_("The care share and the platform fee (%(fee)s) add up to more than the price.",
                           fee=percent(platform_fee_bps())), "care_share")
    over = listings_over_full_share(home, home_care_bps=data.care_share_bps) if home is not None else []
    if over:
        raise AdminError(_("The care share, an elder's incentive and the platform fee (%(fee)s) would add up "
                           "to more than the price of “%(title)s”.", fee=percent(platform_fee_bps()),
                           title=over[0].title_zh), "care_share")
    if data.status not in HOME_STATUSES:
        raise AdminError(_("Choose a status from the list."), "status")


def _apply_home(home: Home, data: HomeInput) -> None:
    home.slug = data.slug.strip()
    for name in LIMITS:
        setattr(home, name, getattr(data, name).strip())
    home.story_zh = (data.story_zh or "").strip()
    home.story_en = (data.story_en or "").strip()
    home.care_share_bps = data.care_share_bps
    home.status = data.status


def _log_care_share(home: Home, before: int | None, actor) -> None:
    """Every change of the care share goes into the home's public audit log (the Merkle log)."""
    audit.record_change(home_id=home.id, what="care_share", subject={}, before=before,
                        after=home.care_share_bps, actor=actor)


@use_case
def create_home(data: HomeInput, actor=None) -> Home:
    _check_home(data, None)
    home = Home()
    _apply_home(home, data)
    db.session.add(home)
    db.session.flush()
    _log_care_share(home, None, actor)
    db.session.commit()
    return home


@use_case
def update_home(home: Home, data: HomeInput, actor=None) -> Home:
    """Change a home. A new care share applies to future sales only (order lines copy it), and
    the change is logged publicly: who, when, before, after."""
    _check_home(data, home)
    before = home.care_share_bps
    _apply_home(home, data)
    _log_care_share(home, before, actor)
    db.session.commit()
    return home


def _log_member(home: Home, user, before: str | None, after: str | None, actor) -> None:
    audit.record_change(home_id=home.id, what="member", subject={"user": user.id, "name": user.name or ""},
                        before=before, after=after, actor=actor)


@use_case
def assign_member(home: Home, identifier: str, role: str, actor=None) -> Membership:
    """Make the user with this email or mobile number staff or supervisor of the home."""
    if role not in ROLES:
        raise AdminError(_("Choose a role from the list."), "role")
    user = find_user(identifier or "")
    if user is None:
        raise AdminError(_("No account has this email or mobile number. They must sign up first."),
                         "identifier")
    membership = db.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.home_id == home.id)
    )
    before = membership.role if membership is not None else None
    if membership is None:
        membership = Membership(user_id=user.id, home_id=home.id, role=role)
        db.session.add(membership)
    else:
        membership.role = role
    _log_member(home, user, before, role, actor)
    db.session.commit()
    return membership


def invite_member(home: Home, name: str, email: str, role: str, actor=None) -> Membership:
    """A new account for someone who has none, made a member of the home, and an email with a
    link where they choose their password (market/accounts/invitations.py)."""
    from market.accounts import invitations
    from market.accounts.service import AccountError

    if role not in ROLES:
        raise AdminError(_("Choose a role from the list."), "role")
    try:
        user = invitations.create_invited_user(name, email)
    except AccountError as error:
        raise AdminError(str(error), "email") from None
    membership = assign_member(home, user.email, role, actor=actor)  # in the public audit log
    invitations.send_invitation(user, home)
    db.session.commit()
    return membership


def membership_in(home: Home, membership_id: int) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(Membership.id == membership_id, Membership.home_id == home.id)
    )


@use_case
def remove_member(home: Home, membership: Membership, actor=None) -> None:
    if membership.home_id != home.id:
        raise AdminError(_("This membership belongs to another home."))
    _log_member(home, membership.user, membership.role, None, actor)
    db.session.delete(membership)
    db.session.commit()
