"""Home staff console (filled in by the foundation's console work)."""

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("manage", __name__, url_prefix="/manage")


@bp.get("/")
@login_required
def index():
    return render_template("manage/index.html")
