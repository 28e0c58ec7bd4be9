"""The buyer's order emails (placed, paid, cancelled, shipped), sent after the commit."""

from flask import current_app

from market.mail import Mail, render_bilingual, send_after_commit
from models import Order


def queue_mail(order: Order, what: str, **context) -> None:
    """Render `templates/orders/mail/<what>.txt` for the buyer and send it once the caller's
    transaction commits (nothing is sent on a rollback)."""
    if not order.contact_email:
        return
    try:
        subject, body = render_bilingual(f"orders/mail/{what}.txt", order=order, **context)
    except Exception:  # a template problem must not stop the order
        current_app.logger.exception("could not render %s mail", what)
        return
    send_after_commit(Mail(order.contact_email, subject, body))
