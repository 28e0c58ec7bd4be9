"""Who of a home wants which mail, and writing that mail to the outbox.

Kinds (models/notify.py `NOTIFY_KINDS`): a new order, an offline payment waiting to be confirmed,
a spending or correction proposal waiting for approval (supervisors only: only they decide), a
donation pledged, goods running low. A person's choice is a row per kind; without one the
default for their role applies (staff: the day's work; supervisors: approvals and donations).

Every `apply_…` function runs in the caller's transaction and never commits: the mail is an
outbox row keyed `notify:<event>:<person>`, so it goes out only if the change commits, once per
event and person (an offline order paid later does not mail its "new order" again).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select

from market.database import use_case
from market.mail import Mail, send_after_commit
from models import Home, Listing, Membership, User, db
from models.catalog import GOODS
from models.notify import NOTIFY_KINDS, NotificationSetting

LOW_STOCK = 3  # goods with this many units or fewer left are "running low" (also the today page)
DEFAULTS = {
    "staff": {"new_order": True, "offline_payment": True, "approval": False, "donation": True,
              "low_stock": True},
    "supervisor": {"new_order": False, "offline_payment": False, "approval": True, "donation": True,
                   "low_stock": False},
}
ONLY_FOR = {"approval": ("supervisor",)}  # kinds a role never acts on are not offered to it
_muted: ContextVar[bool] = ContextVar("market_notify_muted", default=False)


@contextmanager
def muted() -> Iterator[None]:
    """Nobody is told of what happens inside (the demo replaying a year of history)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def kinds_for(role: str) -> tuple[str, ...]:
    """The kinds a member with `role` may choose, in the settings page's order."""
    return tuple(kind for kind in NOTIFY_KINDS if role in ONLY_FOR.get(kind, (role,)))


def choices(user_id: int, home_id: int, role: str) -> dict[str, bool]:
    """{kind: on} for this person at this home: their rows over their role's defaults."""
    chosen = dict(DEFAULTS.get(role, {}))
    for kind, enabled in db.session.execute(
            select(NotificationSetting.kind, NotificationSetting.enabled)
            .where(NotificationSetting.user_id == user_id, NotificationSetting.home_id == home_id)):
        chosen[kind] = bool(enabled)
    return {kind: chosen.get(kind, False) for kind in kinds_for(role)}


@use_case
def save_choices(user_id: int, home_id: int, role: str, wanted: set[str]) -> dict[str, bool]:
    """Store this person's choice for every kind offered to their role (unknown kinds are
    ignored); the caller has checked that they are a member of the home. Commits."""
    rows = {row.kind: row for row in db.session.scalars(select(NotificationSetting).where(
        NotificationSetting.user_id == user_id, NotificationSetting.home_id == home_id))}
    for kind in kinds_for(role):
        row = rows.get(kind)
        if row is None:
            row = NotificationSetting(user_id=user_id, home_id=home_id, kind=kind)
            db.session.add(row)
        row.enabled = kind in wanted
    db.session.commit()
    return choices(user_id, home_id, role)


def recipients(home_id: int, kinds: tuple[str, ...], *, roles: tuple[str, ...] | None = None,
               exclude: tuple[int, ...] = ()) -> list[User]:
    """Members of this home (only) with an email address who chose any of `kinds`."""
    rows = db.session.execute(
        select(User, Membership.role).join(Membership, Membership.user_id == User.id)
        .where(Membership.home_id == home_id, User.email.is_not(None)).order_by(User.id)).all()
    found = []
    for user, role in rows:
        if user.id in exclude or (roles is not None and role not in roles):
            continue
        chosen = choices(user.id, home_id, role)
        if any(chosen.get(kind) for kind in kinds):
            found.append(user)
    return found


def _locale_of(user: User) -> str:
    languages = current_app.config["LANGUAGES"]
    return user.locale if user.locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def apply_notify(home_id: int, kinds: tuple[str, ...], event_key: str, template: str, *,
                 roles: tuple[str, ...] | None = None, exclude: tuple[int, ...] = (), **context) -> int:
    """Write one mail per person who wants it, in their language; returns how many."""
    if _muted.get():
        return 0
    home = db.session.get(Home, home_id)
    people = recipients(home_id, kinds, roles=roles, exclude=exclude)
    for user in people:
        with force_locale(_locale_of(user)):
            text = render_template(template, home=home, person=user, **context)
        subject, _sep, body = text.strip().partition("\n")
        send_after_commit(Mail(user.email, subject.strip(), body.strip() + "\n"),
                          key=f"notify:{event_key}:{user.id}")
    return len(people)


# ---- the events ----------------------------------------------------------------------------

def apply_order_placed(order) -> None:
    """An offline order waits for the home to confirm its payment: tell who chose new orders or
    offline payments. (An online order is news once paid: `apply_order_paid`.)"""
    if order.provider != "offline" or order.home_id is None:
        return
    apply_notify(order.home_id, ("new_order", "offline_payment"), f"order:{order.id}",
                 "notify/mail/order.txt", order=order, waiting=True)


def apply_order_paid(order) -> None:
    """A paid order: "new order" (once per person: an offline order already told them when it
    was placed), and goods that this sale brought down to LOW_STOCK or fewer."""
    if order.home_id is None:
        return
    apply_notify(order.home_id, ("new_order",), f"order:{order.id}", "notify/mail/order.txt",
                 order=order, waiting=False)
    sold: dict[int, int] = {}
    for line in order.lines:
        if line.kind in GOODS:
            sold[line.listing_id] = sold.get(line.listing_id, 0) + line.quantity
    for listing_id, quantity in sorted(sold.items()):
        listing = db.session.get(Listing, listing_id)
        db.session.refresh(listing, ["stock"])  # the sale's UPDATE ran in SQL
        if listing.made_to_order or listing.stock is None:
            continue
        if listing.stock <= LOW_STOCK < listing.stock + quantity:  # this sale crossed the line
            apply_notify(listing.home_id, ("low_stock",), f"low_stock:{listing.id}:{order.id}",
                         "notify/mail/low_stock.txt", listing=listing)


def apply_proposal(home_id: int, proposer_id: int, what: str, record_id: int, **context) -> None:
    """A spending (`what` "disbursement") or correction proposal waits for a supervisor who did
    not propose it. (A home without such a supervisor sends it to the administrator, who sees
    it in the admin pages; the administrator is not a member of the home and is not mailed.)"""
    apply_notify(home_id, ("approval",), f"approval:{what}:{record_id}", "notify/mail/approval.txt",
                 roles=("supervisor",), exclude=(proposer_id,), what=what, **context)


def apply_donation_pledged(donation) -> None:
    apply_notify(donation.home_id, ("donation",), f"donation:{donation.id}", "notify/mail/donation.txt",
                 donation=donation)
