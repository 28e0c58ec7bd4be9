"""The monthly settlement between a home and the platform, in the home's fund console:
/manage/<home_slug>/fund/months/… The home's members and administrators see who holds what
and each month's figures; only an administrator records a settlement. Other homes' staff: 404.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from market import clock
from market.catalog.display import month_name
from market.errors import render_error
from market.fund import month_settlements as months
from market.fund.console import home_for
from market.fund.forms import MonthSettlementForm
from market.fund.service import FundError, FundForbidden, FundNotFound
from market.ledger import offline
from market.once import one_time
from models import Home, db
from models.ledger import JournalEntry

bp = Blueprint("fund_months", __name__, url_prefix="/manage/<home_slug>/fund/months")
SHOWN_MONTHS = 6


@bp.before_request
@login_required
def _logged_in():
    return None


def _recent_months(home: Home) -> list[str]:
    month = months.previous_month(clock.local_today(home=home))
    result = []
    for _i in range(SHOWN_MONTHS):
        result.append(month)
        year, number = int(month[:4]), int(month[5:])
        month = f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"
    return result


@bp.get("/")
def index(home_slug: str):
    home, role = home_for(home_slug, admin_ok=True)
    rows = []
    for month in _recent_months(home):
        settled = months.find(home.id, month)
        rows.append((month, settled, None if settled else offline.month_figures(home.id, month)))
    ids = [settled.entry_id for _m, settled, _f in rows if settled and settled.entry_id]
    seqs = dict(db.session.execute(
        select(JournalEntry.id, JournalEntry.seq).where(JournalEntry.id.in_(ids))).all())
    return render_template("fund/manage/months.html", home=home, role=role, rows=rows, seqs=seqs,
                           first_day=months.first_day,
                           held=months.holdings(home.id))


@bp.route("/settle", methods=["GET", "POST"])
@one_time
def settle(home_slug: str):
    home, _role = home_for(home_slug, admin_ok=True)
    if not current_user.is_admin:
        return render_error(403, _("Only an administrator can record a settlement."))
    form = MonthSettlementForm()
    if request.method == "GET" and not form.month.data:
        form.month.data = (request.args.get("month", "")[:7]
                           or months.previous_month(clock.local_today(home=home)))
    figures = None
    try:
        figures = offline.month_figures(home.id, months.check_month(form.month.data, home))
    except FundError:
        figures = None
    if form.validate_on_submit():
        try:
            settlement, created = months.record_month_settlement(
                home.id, current_user, month=form.month.data, method=form.method.data,
                paid_by=form.paid_by.data, paid_on=form.paid_on.data, reference=form.reference.data or "")
        except FundError as error:
            if isinstance(error, FundNotFound | FundForbidden):
                return render_error(404 if isinstance(error, FundNotFound) else 403, str(error))
            return render_template("fund/manage/month_settle.html", home=home, form=form, figures=figures,
                                   error=str(error)), 400
        if created:
            flash(_("Settlement of %(month)s recorded.",
                    month=month_name(months.first_day(settlement.month))),
                  "success")
        else:
            flash(_("%(month)s was already settled on %(day)s: nothing was recorded twice.",
                    month=month_name(months.first_day(settlement.month)),
                    day=format_date(settlement.paid_on, "long")),
                  "info")
        return redirect(url_for(".index", home_slug=home.slug))
    status = 400 if form.is_submitted() else 200
    return render_template("fund/manage/month_settle.html", home=home, form=form, figures=figures), status
