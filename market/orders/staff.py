"""Home staff order console, under /manage/<home_slug>/orders: orders by status and date,
today's sessions with attendee lists, arrivals, shipping, mark-paid and cancel.

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
from market.orders.forms import CancelForm, FulfilForm, MarkPaidForm
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
    return render_template("orders/staff/detail.html", order=order, **forms), status


@bp.get("/<reference>")
def detail(home_slug: str, reference: str):
    order = _order(reference)
    form = MarkPaidForm()
    form.amount.data = f"{order.total_fen // 100}.{order.total_fen % 100:02d}"
    return _render_detail(order, paid_form=form)


@bp.post("/<reference>/mark-paid")
def mark_paid(home_slug: str, reference: str):
    order = _order(reference)
    form = MarkPaidForm()
    if not form.validate_on_submit():
        return _render_detail(order, 400, paid_form=form)
    try:
        service.mark_paid_offline(order, actor=current_user, method=form.method.data or "",
                                  amount_text=form.amount.data or "")
    except service.OrderError as error:
        db.session.rollback()
        form.amount.errors = [str(error)]
        status = 409 if isinstance(error, service.OrderStateError) else 400
        return _render_detail(_order(reference), status, paid_form=form)
    flash(_("Marked paid."), "success")
    return redirect(url_for("staff_orders.detail", home_slug=home_slug, reference=order.reference))


@bp.post("/<reference>/fulfil")
def fulfil(home_slug: str, reference: str):
    order = _order(reference)
    form = FulfilForm()
    if not form.validate_on_submit():
        return _render_detail(order, 400, fulfil_form=form)
    try:
        service.fulfil_order(order, actor=current_user, carrier=form.carrier.data,
                             tracking_number=form.tracking_number.data)
    except service.OrderError as error:
        db.session.rollback()
        form.carrier.errors = [str(error)]
        status = 409 if isinstance(error, service.OrderStateError) else 400
        return _render_detail(_order(reference), status, fulfil_form=form)
    flash(_("Marked done."), "success")
    return redirect(url_for("staff_orders.detail", home_slug=home_slug, reference=order.reference))


@bp.post("/<reference>/cancel")
def cancel(home_slug: str, reference: str):
    order = _order(reference)
    form = CancelForm()
    if not form.validate_on_submit():
        return _render_detail(order, 400, cancel_form=form)
    try:
        service.cancel_order(order, actor=current_user, by_staff=True, reason=form.reason.data or "")
    except service.OrderError as error:
        db.session.rollback()
        form.reason.errors = [str(error)]
        status = 409 if isinstance(error, service.OrderStateError) else 400
        return _render_detail(_order(reference), status, cancel_form=form)
    flash(_("The order is cancelled and fully refunded."), "success")
    return redirect(url_for("staff_orders.detail", home_slug=home_slug, reference=order.reference))
