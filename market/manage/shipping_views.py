"""The home's shipping table in the console: a fee and a delivery time per province, and a row
for every other province (market/orders/shipping.py). One plain form, no JavaScript. Routes on
the console's blueprint (blueprint.py), so access is decided there: only the home's own staff
change it, a supervisor reads it."""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from market.manage.blueprint import bp
from market.money import minor_to_major_text
from market.orders import shipping
from market.provinces import PROVINCE_NAMES

MAX_ROWS = 2 * (len(PROVINCE_NAMES) + 1)  # room for a form posted twice over; more is not a form of ours


def _rows_shown(posted=None) -> list[dict]:
    """One row per province in the usual order, the default row first, filled from the table
    (or from what was posted, when the page comes back with a problem)."""
    saved = {row.province or "": row for row in shipping.table(g.home.id)}
    rows = []
    for index, province in enumerate(("",) + PROVINCE_NAMES):
        row = saved.get(province)
        fee = minor_to_major_text(row.fee_fen) if row else ""
        days = (shipping.Quote(0, row.days_min, row.days_max).days_text if row else "")
        if posted is not None:
            fee, days = posted.get(f"fee-{index}", ""), posted.get(f"days-{index}", "")
        rows.append({"index": index, "province": province, "fee": fee, "days": days})
    return rows


def _posted_rows() -> list[tuple[str, str, str]]:
    indices = sorted({int(key[9:]) for key in request.form if key.startswith("province-")
                      and key[9:].isdigit() and len(key) < 14})
    if len(indices) > MAX_ROWS:
        abort(400)
    return [(request.form.get(f"province-{i}", ""), request.form.get(f"fee-{i}", ""),
             request.form.get(f"days-{i}", "")) for i in indices]


@bp.route("/<home_slug>/shipping", methods=["GET", "POST"])
def shipping_table(home_slug: str):
    if request.method == "POST":  # a supervisor's POST is refused before this (market.console)
        try:
            shipping.save_table(g.home.id, _posted_rows())
        except shipping.ShippingError as error:
            flash(str(error), "error")
            return render_template("manage/shipping.html", rows=_rows_shown(request.form),
                                   bad_field=error.field), 400
        flash(_("The shipping table is saved. Buyers see it on your goods and in their carts."), "success")
        return redirect(url_for("manage.shipping_table", home_slug=g.home.slug))
    return render_template("manage/shipping.html", rows=_rows_shown(), bad_field=None)
