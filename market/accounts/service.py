"""Sign-up, log-in and roles. Plain functions: tests call them without a request."""

import re

from flask import url_for
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from models import Membership, User, db

PHONE = re.compile(r"^(?:1[3-9]\d{9}|\+\d{6,15})$")
MAINLAND_PREFIX = re.compile(r"^(?:\+|00)86(?=1[3-9]\d{9}$)")
# Hashed once so that an unknown identifier costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    """A sign-up or log-in the user must correct; str(error) is a translated message."""


def normalize_identifier(identifier: str) -> tuple[str | None, str | None]:
    """Split what a person typed into (email, phone); exactly one is set when valid.

    A mainland number is kept as its 11 digits, so "+86 138-0000-0000" and "13800000000" are
    one account; an email keeps its hyphens.
    """
    value = identifier.strip()
    if "@" in value:
        return value.replace(" ", "").lower(), None
    phone = MAINLAND_PREFIX.sub("", re.sub(r"[\s\-()]", "", value))
    if PHONE.match(phone):
        return None, phone
    return None, None


def find_user(identifier: str) -> User | None:
    email, phone = normalize_identifier(identifier)
    if not email and not phone:
        return None
    clause = User.email == email if email else User.phone == phone
    return db.session.scalar(select(User).where(clause))


def create_user(name: str, password: str, email: str | None = None, phone: str | None = None,
                is_admin: bool = False) -> User:
    from flask_babel import gettext as _

    email = email.strip().lower() if email else None
    phone = phone.strip() if phone else None
    if not email and not phone:
        raise AccountError(_("Give an email address or a mobile number."))
    taken = db.session.scalar(
        select(User.id).where(or_(User.email == email if email else False,
                                  User.phone == phone if phone else False))
    )
    if taken:
        raise AccountError(_("An account with this email or mobile number already exists."))
    user = User(name=name.strip(), email=email, phone=phone, is_admin=is_admin,
                password_hash=generate_password_hash(password))
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # the same sign-up sent twice at once: the other one won
        db.session.rollback()
        raise AccountError(_("An account with this email or mobile number already exists.")) from None
    return user


def sign_up(name: str, password: str, email: str | None = None, phone: str | None = None) -> User | None:
    """A new account, or None when the email or number already has one. Then the owner is told
    by mail (a number alone cannot be told: there is no SMS service) and the caller answers just
    as for a new account, so sign-up never reveals whether an account exists."""
    existing = find_user(email or phone or "")
    if existing is None:
        try:
            return create_user(name, password, email=email, phone=phone)
        except AccountError:  # the same address signed up at the same moment
            existing = find_user(email or phone or "")
    else:
        generate_password_hash(password)  # as long as making an account takes
    if existing is not None and existing.email:
        _tell_owner(existing)
    return None


def _tell_owner(user: User) -> None:
    from flask import current_app, url_for

    from market.mail import Mail, render_bilingual, send

    try:
        subject, body = render_bilingual("accounts/mail/signup_taken.txt", user=user,
                                         login_url=url_for("accounts.login", _external=True))
        send(Mail(user.email, subject, body))
    except Exception:  # the mail must not change the answer the visitor sees
        current_app.logger.exception("could not tell user %s of a sign-up attempt", user.id)


def authenticate(identifier: str, password: str) -> User | None:
    """The user whose identifier and password match, or None (never says which was wrong)."""
    user = find_user(identifier)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password and end every other session of this user."""
    from flask_babel import gettext as _

    if not check_password_hash(user.password_hash, current):
        raise AccountError(_("Your current password is not right."))
    user.password_hash = generate_password_hash(new)
    user.session_version += 1
    db.session.commit()


def end_sessions(user: User) -> None:
    """Every session cookie this user holds stops working (log out, log out everywhere)."""
    user.session_version += 1
    db.session.commit()


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: 'id:version' finds the user only while the version is current."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


def set_locale(user: User, code: str) -> None:
    user.locale = code
    db.session.commit()


def locale_after_login(user: User, chosen_here: str | None) -> str | None:
    """The language a browser keeps after logging in: the one chosen on this device, which
    the account then remembers, or else the account's own."""
    if chosen_here is None:
        return user.locale
    if user.locale != chosen_here:
        set_locale(user, chosen_here)
    return chosen_here


def role_in_home(user, home_id: int) -> str | None:
    """'staff', 'supervisor' or None for this user in this home."""
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(
        select(Membership.role).where(Membership.user_id == user.id, Membership.home_id == home_id)
    )


def landing_page(user: User) -> str:
    """Where logging in leads when no page asked for it: a home's staff to that home's today
    page (several homes: the list of them), everyone else to the market's front page."""
    homes = [membership.home for membership in user.memberships]
    if len(homes) == 1:
        return url_for("staff_orders.today", home_slug=homes[0].slug)
    if homes:
        return url_for("manage.index")
    return url_for("catalog.index")
