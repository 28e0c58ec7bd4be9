"""Outgoing mail. Console backend by default (logs the message); SMTP when MAIL_BACKEND=smtp.

Every message is written in both languages (Chinese first, then English). Messages queued
inside a transaction with `send_after_commit` go out only once that transaction commits.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger("market.mail")
LOCALES = ("zh_Hans", "en")
# In tests: every message sent, in order (console backend only).
outbox: list[EmailMessage] = []


@dataclass
class Mail:
    to: str
    subject: str
    body: str


def render_bilingual(template: str, **context) -> tuple[str, str]:
    """(subject, body) rendered once per language and joined; the template sets `subject`
    with `{% set subject = ... %}` on its first line and the rest is the body."""
    subjects, bodies = [], []
    for code in LOCALES:
        with force_locale(code):
            text = render_template(template, **context)
        first, _, rest = text.strip().partition("\n")
        subjects.append(first.strip())
        bodies.append(rest.strip())
    return " / ".join(dict.fromkeys(subjects)), "\n\n----------\n\n".join(bodies) + "\n"


def send(mail: Mail) -> None:
    app = current_app
    message = EmailMessage()
    message["From"] = app.config["MAIL_FROM"]
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    backend = app.config["MAIL_BACKEND"]
    if backend == "smtp" and app.config.get("SMTP_HOST"):
        try:
            with smtplib.SMTP(app.config["SMTP_HOST"], app.config["SMTP_PORT"], timeout=10) as smtp:
                smtp.starttls()
                if app.config.get("SMTP_USER"):
                    smtp.login(app.config["SMTP_USER"], app.config["SMTP_PASSWORD"])
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            log.warning("mail to %s not sent: %s", mail.to, error)
        return
    outbox.append(message)
    del outbox[:-200]
    log.info("mail to %s: %s\n%s", mail.to, mail.subject, mail.body)


def send_after_commit(session: Session, mail: Mail) -> None:
    """Queue `mail` until `session` commits; a rollback drops it."""
    session.info.setdefault("market.mail", []).append(mail)


@event.listens_for(Session, "after_commit")
def _flush_mail(session):
    queued = session.info.pop("market.mail", None)
    for mail in queued or ():
        try:
            send(mail)
        except Exception:  # mail must never break a committed use case
            log.exception("mail to %s failed", mail.to)


@event.listens_for(Session, "after_rollback")
def _drop_mail(session):
    session.info.pop("market.mail", None)
