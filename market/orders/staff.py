"""Home staff order console, under /manage/<home_slug>/orders: orders by status and date,
today's sessions with attendee lists, arrivals, shipping, mark-paid, cancel and the refund of
some lines.

A user who does not belong to the home in the URL gets 404; a supervisor reads but every
POST is 403. Orders are looked up only inside that home, so another home's order is 404.
"""

from datetime import date

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from market.booking.service import local_today
from market.orders import service
from market.orders.forms import CancelForm, FulfilForm, MarkPaidForm, RefundForm
from market.payments.service import refundable_by_line
from models import Home, Membership, db, utcnow
from models.orders import ORDER_STATUSES

bp = Blueprint("staff_orders", __name__, url_prefix="/manage/<home_slug>/orders")
READ_METHODS = ("GET", "HEAD", "OPTIONS")


@bp.before_request
def _guard():
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    slug = (request.view_args or {}).get("home_slug", "")
    row = db.session.execute(
        select(Home, Membership.role).join(Membership, Membership.home_id == Home.id)
        .where(Home.slug == slug, Membership.user_id == current_user.id)
    ).first()
    if row is None:
        abort(404)
    home, role = row
    if request.method not in READ_METHODS and role != "staff":
        abort(403)
    g.home, g.role, g.can_edit = home, role, role == "staff"
    return None


@bp.context_processor
def _globals():
    return {"home": g.get("home"), "can_edit": g.get("can_edit", False), "statuses": ORDER_STATUSES}


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _order(reference: str):
    return service.home_order(g.home.id, reference) or abort(404)


@bp.get("/")
def index(home_slug: str):
    status = request.args.get("status") or None
    if status is not None and status not in ORDER_STATUSES:
        status = None
    day_from, day_to = _day(request.args.get("from")), _day(request.args.get("to"))
    orders = service.home_orders(g.home.id, status=status, day_from=day_from, day_to=day_to)
    return render_template("orders/staff/index.html", orders=orders, status=status,
                           day_from=day_from, day_to=day_to)


@bp.get("/today")
def today(home_slug: str):
    day = _day(request.args.get("day")) or local_today(utcnow())
    return render_template(
        "orders/staff/today.html", day=day, sessions=service.sessions_on(g.home.id, day),
        arrivals=service.arrivals_on(g.home.id, day), to_ship=service.to_ship(g.home.id),
    )


def _render_detail(order, status=200, **forms):
    forms.setdefault("paid_form", MarkPaidForm())
    forms.setdefault("fulfil_form", FulfilForm())
    forms.setdefault("cancel_form", CancelForm())
    forms.setdefault("refund_form", RefundForm(token=service.new_checkout_token()))
    refund_left = refundable_by_line(order) if order.status in service.REFUNDABLE else {}
    return render_template("orders/staff/detail.html", order=order, refund_left=refund_left,
                           **forms), status


@bp.get("/<reference>")
def detail(home_slug: str, reference: str):
    order = _order(reference)
    form = MarkPaidForm()
    form.amount.data = f"{order.total_fen // 100}.{order.total_fen % 100:02d}"
    return _render_detail(order, paid_form=form)


def _act(reference: str, form, form_name: str, error_field: str, action):
    """Run a staff action on the order from its POSTed form. `action(order)` returns the message
    to flash; a problem shows the form again with the message (400, or 409 for the order's state)."""
    order = _order(reference)
    if not form.validate_on_submit():
        return _render_detail(order, 400, **{form_name: form})
    try:
        message = action(order)
    except service.OrderError as error:
        db.session.rollback()
        getattr(form, error_field).errors = [str(error)]
        status = 409 if isinstance(error, service.OrderStateError) else 400
        return _render_detail(_order(reference), status, **{form_name: form})
    flash(message, "success")
    return redirect(url_for("staff_orders.detail", home_slug=g.home.slug, reference=order.reference))


@bp.post("/<reference>/mark-paid")
def mark_paid(home_slug: str, reference: str):
    form = MarkPaidForm()

    def action(order):
        service.mark_paid_offline(order, actor=current_user, method=form.method.data or "",
                                  amount_text=form.amount.data or "")
        return _("Marked paid.")

    return _act(reference, form, "paid_form", "amount", action)


@bp.post("/<reference>/fulfil")
def fulfil(home_slug: str, reference: str):
    form = FulfilForm()

    def action(order):
        service.fulfil_order(order, actor=current_user, carrier=form.carrier.data,
                             tracking_number=form.tracking_number.data)
        return _("Marked done.")

    return _act(reference, form, "fulfil_form", "carrier", action)


@bp.post("/<reference>/cancel")
def cancel(home_slug: str, reference: str):
    form = CancelForm()

    def action(order):
        service.cancel_order(order, actor=current_user, by_staff=True, reason=form.reason.data or "")
        return _("The order is cancelled and fully refunded.")

    return _act(reference, form, "cancel_form", "reason", action)


@bp.post("/<reference>/refund")
def refund(home_slug: str, reference: str):
    """Refund chosen lines in part: `quantity-<line id>` or `amount-<line id>` per line."""
    form = RefundForm()

    def action(order):
        requests = {line.id: (request.form.get(f"quantity-{line.id}", ""),
                              request.form.get(f"amount-{line.id}", "")) for line in order.lines}
        done = service.refund_lines(order, actor=current_user, requests=requests,
                                    reason=form.reason.data or "", token=form.token.data or "")
        if done.status == "succeeded":
            return _("Refunded.")
        return _("The refund is on its way to the buyer.")

    return _act(reference, form, "refund_form", "reason", action)
