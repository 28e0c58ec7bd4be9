"""Home staff order console, under /manage/<home_slug>/orders: orders by status and date,
today's sessions with attendee lists (attended), arrivals and departures (checked out),
shipping, mark-paid, cancel, the refund of some lines, and how buyers pay the home.

A user who does not belong to the home in the URL gets 404; a supervisor reads but every
POST is 403. Orders are looked up only inside that home, so another home's order is 404.
"""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market import clock
from market.console import enter_home_console
from market.once import one_time
from market.orders import fulfilment, how_to_pay, lifecycle, queries
from market.orders.errors import OrderError, OrderStateError
from market.orders.forms import (
    CancelForm,
    HandedBackForm,
    LineDoneForm,
    MarkPaidForm,
    PaymentDetailsForm,
    RefundForm,
    ShipForm,
)
from market.orders.tokens import new_form_token
from market.payments.offline import record_handed_back
from market.payments.service import PaymentError, pending_refund_fen, refundable_by_line
from models import db
from models.catalog import GOODS
from models.orders import ORDER_STATUSES, REFUNDABLE_STATUSES
from models.payments import Refund

bp = Blueprint("staff_orders", __name__, url_prefix="/manage/<home_slug>/orders")
bp.before_request(enter_home_console)


@bp.context_processor
def _globals():
    return {"home": g.get("home"), "can_edit": g.get("can_edit", False), "statuses": ORDER_STATUSES}


def _days(*names: str) -> tuple[list, int]:
    """The query string's days (None when empty); a bad one is dropped with a message (400)."""
    days, status = [], 200
    for name in names:
        try:
            days.append(queries.console_day(request.args.get(name)))
        except OrderError as error:
            flash(str(error), "error")
            days.append(None)
            status = 400
    return days, status


def _order(reference: str):
    return queries.home_order(g.home.id, reference) or abort(404)


@bp.get("/")
def index(home_slug: str):
    status = request.args.get("status") or None
    if status is not None and status not in ORDER_STATUSES:
        status = None
    (day_from, day_to), code = _days("from", "to")
    orders = queries.home_orders(g.home.id, status=status, day_from=day_from, day_to=day_to)
    return render_template("orders/staff/index.html", orders=orders, status=status,
                           day_from=day_from, day_to=day_to), code


@bp.get("/today")
def today(home_slug: str):
    (day,), code = _days("day")
    now = clock.now()
    day = day or clock.local_today(now)
    return render_template(
        "orders/staff/today.html", day=day, now=now, sessions=queries.sessions_on(g.home.id, day),
        arrivals=queries.stays_on(g.home.id, day), departures=queries.stays_on(g.home.id, day, leaving=True),
        to_ship=queries.to_ship(g.home.id), done_form=LineDoneForm(), is_due=fulfilment.is_due,
        to_confirm=queries.awaiting_offline_payment(g.home.id), low_stock=queries.low_stock(g.home.id),
        to_approve=_waiting_for_me(), coming=queries.booked_sessions_ahead(g.home.id, now),
    ), code


def _waiting_for_me() -> list:
    """Spending proposals the person looking could decide: a supervisor's, never their own."""
    from market.fund.disbursements import home_disbursements

    if g.role != "supervisor":
        return []
    return [item for item in home_disbursements(g.home.id, status="proposed")
            if item.proposed_by_id != current_user.id]


def _render_detail(order, status=200, **forms):
    forms.setdefault("paid_form", MarkPaidForm())
    forms.setdefault("ship_form", ShipForm())
    forms.setdefault("cancel_form", CancelForm())
    forms.setdefault("refund_form", RefundForm(token=new_form_token()))
    refund_left = refundable_by_line(order) if order.status in REFUNDABLE_STATUSES else {}
    # Shipping (key 0 of refund_left) goes back with a cancel, not line by line.
    refund_lines = [line for line in order.lines if refund_left.get(line.id, 0) > 0]
    return render_template("orders/staff/detail.html", order=order, done_form=LineDoneForm(),
                           open_lines=fulfilment.open_lines(order), is_due=fulfilment.is_due,
                           refund_left=refund_left, refund_lines=refund_lines,
                           cash_refunds=queries.offline_refunds(order),
                           handed_form=HandedBackForm(), **forms), status


def _refused(reference: str, error: OrderError, **forms):
    """The action is not allowed in the order's state: say so on the order page (409)."""
    flash(str(error), "error")
    return _render_detail(_order(reference), 409, **forms)


@bp.get("/<reference>")
def detail(home_slug: str, reference: str):
    order = _order(reference)
    form = MarkPaidForm()
    form.amount.data = f"{order.total_fen // 100}.{order.total_fen % 100:02d}"
    return _render_detail(order, paid_form=form)


@bp.get("/<reference>/packing-slip")
def packing_slip(home_slug: str, reference: str):
    """A page to print and put in the parcel: the goods, the address, no money and no forms."""
    order = _order(reference)
    goods = [line for line in order.lines if line.kind in GOODS and line.quantity]
    return render_template("orders/staff/packing_slip.html", order=order, goods=goods)


def _act(reference: str, form, form_name: str, error_field: str, action):
    """Run a staff action on the order from its POSTed form. `action(order)` returns the message
    to flash; a problem shows the form again with the message (400), or the order's state that
    refuses the action (409)."""
    order = _order(reference)
    if not form.validate_on_submit():
        return _render_detail(order, 400, **{form_name: form})
    try:
        message = action(order)
    except OrderStateError as error:
        return _refused(reference, error, **{form_name: form})
    except OrderError as error:
        getattr(form, error_field).errors = [str(error)]
        return _render_detail(_order(reference), 400, **{form_name: form})
    flash(message, "success")
    return redirect(url_for("staff_orders.detail", home_slug=g.home.slug, reference=order.reference))


@bp.post("/<reference>/mark-paid")
@one_time
def mark_paid(home_slug: str, reference: str):
    form = MarkPaidForm()

    def action(order):
        lifecycle.mark_paid_offline(order, actor=current_user, method=form.method.data or "",
                                    amount_text=form.amount.data or "", reason=form.reason.data or "")
        return _("Marked paid.")

    return _act(reference, form, "paid_form", "amount", action)


@bp.post("/<reference>/ship")
def ship(home_slug: str, reference: str):
    form = ShipForm()

    def action(order):
        fulfilment.ship(order, current_user, form.carrier.data, form.tracking_number.data)
        return _("Marked shipped. The buyer gets the tracking number by email.")

    return _act(reference, form, "ship_form", "carrier", action)


def _back(order, form: LineDoneForm):
    """Where a line action returns: the today page it came from, or the order."""
    where, _sep, day = (form.back.data or "").partition(":")
    if where == "today":
        try:
            return url_for("staff_orders.today", home_slug=g.home.slug, day=queries.console_day(day))
        except OrderError:
            pass
    return url_for("staff_orders.detail", home_slug=g.home.slug, reference=order.reference)


@bp.post("/<reference>/lines/<int:line_id>/done")
def line_done(home_slug: str, reference: str, line_id: int):
    """A tour line attended or a stay checked out (one button, no JavaScript)."""
    order = _order(reference)
    if line_id not in {line.id for line in order.lines}:
        abort(404)
    form = LineDoneForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        line = fulfilment.mark_done(order, line_id, current_user)
    except OrderError as error:
        return _refused(reference, error)
    done = _("Marked attended.") if line.kind == "tour" else _("Marked checked out.")
    flash(done, "success")
    return redirect(_back(order, form))


@bp.post("/<reference>/cancel")
@one_time
def cancel(home_slug: str, reference: str):
    form = CancelForm()

    def action(order):
        lifecycle.cancel_order(order, actor=current_user, by_staff=True, reason=form.reason.data or "")
        if pending_refund_fen(order.id):  # asked of the payment service, not confirmed yet
            return _("The order is cancelled and a full refund is requested. The buyer gets the money "
                     "back once the payment service confirms it.")
        return _("The order is cancelled and fully refunded.")

    return _act(reference, form, "cancel_form", "reason", action)


@bp.post("/<reference>/refund")
@one_time
def refund(home_slug: str, reference: str):
    """Refund chosen lines in part: `quantity-<line id>` or `amount-<line id>` per line."""
    form = RefundForm()

    def action(order):
        requests = {line.id: (request.form.get(f"quantity-{line.id}", ""),
                              request.form.get(f"amount-{line.id}", "")) for line in order.lines}
        done = lifecycle.refund_lines(order, actor=current_user, requests=requests,
                                    reason=form.reason.data or "", token=form.token.data or "")
        if done.status == "succeeded":
            return _("Refunded.")
        return _("The refund is on its way to the buyer.")

    return _act(reference, form, "refund_form", "reason", action)


@bp.post("/<reference>/refunds/<int:refund_id>/handed-back")
@one_time
def handed_back(home_slug: str, reference: str, refund_id: int):
    """Staff record that an offline refund's money reached the buyer (who, when, how)."""
    order = _order(reference)
    form = HandedBackForm()
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.order_id != order.id:
        abort(404)
    if not form.validate_on_submit():
        return _render_detail(order, 400)
    try:
        record_handed_back(refund, actor=current_user, how=form.how.data or "")
    except PaymentError as error:
        flash(str(error), "error")
        return _render_detail(_order(reference), 409)
    flash(_("Recorded: the money was handed back to the buyer."), "success")
    return redirect(url_for("staff_orders.detail", home_slug=g.home.slug, reference=order.reference))


@bp.route("/how-to-pay", methods=["GET", "POST"])
def payment_details(home_slug: str):
    """How buyers pay this home offline: payee, account, phone and a note per language."""
    form = PaymentDetailsForm(obj=how_to_pay.details_of(g.home))
    status = 200
    if request.method == "POST":
        details = how_to_pay.Details(**{name: getattr(form, name).data or "" for name in how_to_pay.LIMITS})
        errors = how_to_pay.check_details(details) if form.validate_on_submit() else {}
        for name, message in errors.items():
            getattr(form, name).errors = [message]
        if form.errors or errors:
            status = 400
        else:
            how_to_pay.update_details(g.home.id, details)
            flash(_("Saved. Buyers see these details on their orders."), "success")
            return redirect(url_for("staff_orders.payment_details", home_slug=home_slug))
    return render_template("orders/staff/payment_details.html", form=form), status
