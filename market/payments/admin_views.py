"""Platform admin: every payment with its provider references, states and refunds."""

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Order, Payment, WebhookEvent, db
from models.payments import PAYMENT_STATUSES

bp = Blueprint("payments_admin", __name__, url_prefix="/admin/payments")

# The words the table shows for the stored codes (payments and refunds share their statuses).
WORDS = {
    "offline": _l("paid to the home"), "stripe": _l("online (Stripe)"),
    "pending": _l("waiting"), "succeeded": _l("succeeded"), "failed": _l("failed"),
    "cancelled": _l("cancelled"), "needs_review": _l("needs review"), "returned": _l("given back"),
    "cash": _l("cash"), "transfer": _l("bank transfer"), "other": _l("another way"),
    "card": _l("card"), "alipay": _l("Alipay"), "wechat_pay": _l("WeChat Pay"),
}


@bp.app_template_global()
def payment_word(code: str | None) -> str:
    """A payment's provider, status or method in the reader's language (unknown codes as stored)."""
    return str(WORDS.get(code or "", code or ""))


@bp.before_request
@login_required
def _admins_only():
    if not current_user.is_admin:
        abort(403)


@bp.get("")
@bp.get("/")
def index():
    provider = request.args.get("provider", "")
    status = request.args.get("status", "")
    query = (select(Payment, Order).join(Order, Order.id == Payment.order_id)
             .options(selectinload(Payment.refunds)).order_by(Payment.id.desc()).limit(300))
    if provider in ("offline", "stripe"):
        query = query.where(Payment.provider == provider)
    if status in PAYMENT_STATUSES:
        query = query.where(Payment.status == status)
    rows = db.session.execute(query).all()
    events = db.session.scalars(
        select(WebhookEvent).where(WebhookEvent.error.is_not(None))
        .order_by(WebhookEvent.id.desc()).limit(50)).all()
    return render_template("admin/payments.html", rows=rows, events=events, provider=provider,
                           status=status, providers=("offline", "stripe"), statuses=PAYMENT_STATUSES)
