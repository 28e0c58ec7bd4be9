"""Invitations: the admin makes an account for a home's new staff member, who chooses a password
from a link in an email (people who would never sign up on their own get in this way).

The link carries a signed token (itsdangerous, the app's SECRET_KEY) naming the user and a digest
of their password hash: it works for INVITATION_DAYS and only until a password is chosen, since
choosing one changes the hash."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import generate_password_hash

from market.accounts.service import AccountError, create_user, find_user
from market.mail import Mail, render_bilingual, send_after_commit
from models import User, db

INVITATION_DAYS = 7
_SALT = "staff-invitation"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _digest(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def create_invited_user(name: str, email: str) -> User:
    """A new account with a password nobody knows, for `send_invitation`. AccountError when the
    address is taken (then add the existing account by its address instead)."""
    if not (name or "").strip():
        raise AccountError(_("Please give their name."))
    if find_user(email or "") is not None:
        raise AccountError(_("This address already has an account: add it as a member by its address."))
    return create_user(name, secrets.token_urlsafe(32), email=email)


def send_invitation(user: User, home) -> None:
    """Mail the link (through the outbox, once this transaction commits)."""
    token = _serializer().dumps({"user": user.id, "key": _digest(user)})
    link = url_for("accounts.accept_invitation", token=token, _external=True)
    subject, body = render_bilingual("accounts/mail/invitation.txt", user=user, home=home, link=link,
                                     days=INVITATION_DAYS)
    send_after_commit(Mail(user.email, subject, body), key=f"invitation:{user.id}:{_digest(user)}")


def invited_user(token: str) -> User:
    """The user a still-valid invitation names; AccountError (translated) otherwise."""
    try:
        data = _serializer().loads(token, max_age=INVITATION_DAYS * 86400)
    except SignatureExpired:
        raise AccountError(_("This invitation has expired. Please ask for a new one.")) from None
    except BadSignature:
        raise AccountError(_("This invitation link is not valid.")) from None
    user = db.session.get(User, data.get("user")) if isinstance(data, dict) and isinstance(
        data.get("user"), int) else None
    if user is None or data.get("key") != _digest(user):
        raise AccountError(_("This invitation was already used. Log in with your password.")) from None
    return user


def accept(user: User, password: str) -> None:
    """Set the chosen password: the invitation is used up, any other session ends."""
    user.password_hash = generate_password_hash(password)
    user.session_version += 1
    db.session.commit()
