"""Walk-in and telephone orders in the staff order console (/manage/<home_slug>/orders/…): the
form, and a receipt to print (no refund or cancel forms). Routes on the order console's
blueprint (staff_views.py), so access is decided there, before every view."""

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market.i18n import is_english
from market.once import FIELD as ONCE_FIELD
from market.once import one_time
from market.orders import walk_in
from market.orders.errors import OrderError, SoldOut
from market.orders.forms import WalkInForm
from market.orders.staff_views import _order, bp
from market.orders.timeline import METHODS
from market.provinces import PROVINCES


def _prepare(form: WalkInForm) -> WalkInForm:
    form.choice.choices = [("", _("— choose —"))] + [
        (value, value) for value, _k, _r in walk_in.choices(g.home)]
    form.ship_province.choices = [("", _("— collected at the home —"))] + [
        (zh, en if is_english() else zh) for zh, en in PROVINCES]
    return form


@bp.route("/walk-in", methods=["GET", "POST"])
@one_time
def walk_in_new(home_slug: str):
    """One page: what, how many, who (name and phone), paid now in cash or waiting."""
    form = _prepare(WalkInForm())
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            data = walk_in.WalkIn(
                choice=form.choice.data or "", quantity=form.quantity.data or "", name=form.name.data or "",
                phone=form.phone.data or "", paid_now=form.paid.data == "now",
                check_in=form.check_in.data or "", check_out=form.check_out.data or "",
                province=form.ship_province.data or "", city=form.ship_city.data or "",
                district=form.ship_district.data or "", street=form.ship_street.data or "")
            try:
                order = walk_in.take(g.home, data, actor=current_user, token=request.form.get(ONCE_FIELD, ""),
                                     locale="en" if is_english() else "zh_Hans")
            except SoldOut as error:
                form.choice.errors.append(_("Sold out: %(items)s. Nothing was ordered.",
                                            items="; ".join(error.gone)))
            except OrderError as error:
                form.form_errors.append(str(error))
            else:
                flash(_("Order %(reference)s taken. Print the receipt for the buyer.",
                        reference=order.reference), "success")
                return redirect(url_for(".receipt", home_slug=g.home.slug, reference=order.reference))
    return render_template("orders/staff/walk_in.html", form=form, items=walk_in.choices(g.home)), status


@bp.get("/<reference>/receipt")
def receipt(home_slug: str, reference: str):
    """A receipt to print and hand over: what was bought, the total, how it was paid and who
    received the money. No forms."""
    order = _order(reference)
    return render_template("orders/staff/walk_in_receipt.html", order=order, received=walk_in.received(order),
                           method_label=lambda method: str(METHODS.get(method or "", METHODS["other"])))
