"""Platform admin: every home side by side (/admin/impact), sortable, and as CSV. Non-admins 403."""

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required

from market import clock
from market.impact import dashboards, page

bp = Blueprint("impact_admin", __name__, url_prefix="/admin/impact")


@bp.before_request
@login_required
def _admins_only():
    if not current_user.is_admin:
        abort(403)


def _sorting() -> tuple[str, bool]:
    sort = request.args.get("sort") or "name"
    if sort not in dashboards.COLUMNS:
        sort = "name"
    return sort, request.args.get("order") == "desc"


@bp.get("/")
def compare():
    sort, descending = _sorting()
    rows = dashboards.comparison(sort=sort, descending=descending)
    return render_template("impact/admin/compare.html", rows=page.comparison_table(rows),
                           sort=sort, descending=descending, columns=dashboards.COLUMNS,
                           labels=page.column_labels())


@bp.get("/homes.csv")
def export():
    sort, descending = _sorting()
    rows = dashboards.comparison(sort=sort, descending=descending)
    body = dashboards.comparison_csv(rows, page.csv_headers())
    name = f"homes-impact-{clock.local_today().isoformat()}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
