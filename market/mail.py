"""Outgoing mail. Console backend by default (logs the message); SMTP when MAIL_BACKEND=smtp.

Every message is written in both languages (Chinese first, then English). `send_after_commit`
writes the message to the durable outbox (market/jobs/outbox.py) in the caller's transaction: it
goes out once that transaction commits, is tried again if the mail server fails, and the same
message (same key) is sent once.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale

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
    """Send now. An SMTP failure raises, so that the outbox tries again."""
    app = current_app
    message = EmailMessage()
    message["From"] = app.config["MAIL_FROM"]
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    backend = app.config["MAIL_BACKEND"]
    if backend == "smtp" and app.config.get("SMTP_HOST"):
        with smtplib.SMTP(app.config["SMTP_HOST"], app.config["SMTP_PORT"], timeout=10) as smtp:
            smtp.starttls()
            if app.config.get("SMTP_USER"):
                smtp.login(app.config["SMTP_USER"], app.config["SMTP_PASSWORD"])
            smtp.send_message(message)
        return
    outbox.append(message)
    del outbox[:-200]
    log.info("mail to %s: %s\n%s", mail.to, mail.subject, mail.body)


def send_after_commit(mail: Mail, key: str | None = None) -> None:
    """Write `mail` to the outbox in the current transaction; a rollback drops it. Without a
    `key`, the same recipient, subject and body make the key: that message goes out once."""
    from market.jobs import outbox

    digest = hashlib.sha256(f"{mail.to}\n{mail.subject}\n{mail.body}".encode()).hexdigest()[:32]
    outbox.later(send_job, mail.to, mail.subject, mail.body, key=key or f"mail:{digest}")


def send_job(to: str, subject: str, body: str) -> None:
    """The outbox's call (arguments as JSON)."""
    send(Mail(to, subject, body))
