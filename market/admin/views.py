"""Platform admin: homes, their care share, staff and supervisors."""

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only():
    if not current_user.is_admin:
        abort(403)


@bp.get("/homes")
def homes():
    return render_template("admin/homes.html")
