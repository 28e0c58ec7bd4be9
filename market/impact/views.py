"""Public impact pages (no login): /impact/<home_slug>. Totals only: no elder is named."""

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from market.impact import page, report
from models import Home, db

bp = Blueprint("impact", __name__, url_prefix="/impact")


@bp.get("/<home_slug>")
def home(home_slug: str):
    found = db.session.scalar(select(Home).where(Home.slug == home_slug[:80], Home.status == "active"))
    if found is None:
        abort(404)
    figures = report.home_report(found.id)
    return render_template("impact/home.html", home=found, report=figures, charts=page.charts(figures),
                           source_label=page.source_label)
