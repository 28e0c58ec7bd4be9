"""Elders' earnings and payouts in a home's fund console: /manage/<home_slug>/fund/elders/…

The home's members (staff and supervisors, the village committee) and administrators see each
elder's sheet; the public pages never show more about an elder than before (the ledger shows an
elder's account by number only). Anyone else gets 404. A payout is recorded by one member and
signed off by another (four eyes, elder_pay.py).
"""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.fund import elder_pay, service
from market.fund.console import decided, fail, home_for, withdrawn
from market.fund.forms import ElderPayoutForm, PayoutDecisionForm, WithdrawForm
from market.fund.service import FundError, FundForbidden, FundNotFound
from market.once import one_time

bp = Blueprint("fund_elders", __name__, url_prefix="/manage/<home_slug>/fund/elders")


@bp.before_request
@login_required
def _logged_in():
    return None


@bp.get("/")
def index(home_slug: str):
    home, role = home_for(home_slug, admin_ok=True)
    return render_template("fund/manage/elders.html", home=home, role=role,
                           elders=elder_pay.elders_owed(home.id), waiting=elder_pay.waiting_payouts(home.id))


@bp.get("/<int:elder_id>")
def sheet(home_slug: str, elder_id: int):
    home, role = home_for(home_slug, admin_ok=True)
    try:
        found = elder_pay.elder_sheet(home.id, elder_id)
    except FundNotFound:
        abort(404)
    return render_template("fund/manage/elder_sheet.html", home=home, role=role, sheet=found,
                           method_label=elder_pay.method_label)


@bp.route("/<int:elder_id>/payouts/new", methods=["GET", "POST"])
@one_time
def new_payout(home_slug: str, elder_id: int):
    home, role = home_for(home_slug)
    try:
        elder = elder_pay.home_elder(home.id, elder_id)
    except FundNotFound:
        abort(404)
    form = ElderPayoutForm()
    owed = elder_pay.elder_balance(home.id, elder.id)
    if form.validate_on_submit():
        try:
            payout = elder_pay.record_payout(
                home.id, current_user, elder_id=elder.id, amount_fen=form.amount.fen, method=form.method.data,
                paid_by=form.paid_by.data, paid_on=form.paid_on.data, note=form.note.data or "")
        except FundError as error:
            if isinstance(error, FundNotFound | FundForbidden):
                return fail(error)
            return render_template("fund/manage/elder_payout_new.html", home=home, elder=elder, form=form,
                                   owed=owed, error=str(error)), 400
        flash(_("Payout recorded. Someone else must sign it off before it enters the books."), "success")
        return redirect(url_for(".payout", home_slug=home.slug, payout_id=payout.id))
    status = 400 if form.is_submitted() else 200
    return render_template("fund/manage/elder_payout_new.html", home=home, elder=elder, form=form,
                           owed=owed), status


@bp.get("/payouts/<int:payout_id>")
def payout(home_slug: str, payout_id: int):
    home, role = home_for(home_slug, admin_ok=True)
    try:
        found = elder_pay.get_payout(home.id, payout_id)
    except FundNotFound:
        abort(404)
    return render_template("fund/manage/elder_payout.html", home=home, role=role, p=found,
                           form=PayoutDecisionForm(), withdraw_form=WithdrawForm(),
                           method_label=elder_pay.method_label,
                           can_decide=service.can_decide(home.id, found.recorded_by_id, current_user),
                           to_admin=service.goes_to_admin(home.id, found.recorded_by_id))


@bp.post("/payouts/<int:payout_id>/decide")
@one_time
def decide_payout(home_slug: str, payout_id: int):
    return decided(
        home_slug, PayoutDecisionForm,
        lambda home, approve, comment: elder_pay.decide_payout(home.id, payout_id, current_user,
                                                               approve=approve, comment=comment),
        _("Signed off: the payout is now in the public record."), _("Rejected. Nothing was changed."),
        lambda home: url_for(".payout", home_slug=home.slug, payout_id=payout_id))


@bp.post("/payouts/<int:payout_id>/withdraw")
@one_time
def withdraw_payout(home_slug: str, payout_id: int):
    return withdrawn(
        home_slug, lambda home: elder_pay.withdraw_payout(home.id, payout_id, current_user),
        _("The payout is withdrawn."),
        lambda home: url_for(".payout", home_slug=home.slug, payout_id=payout_id))
