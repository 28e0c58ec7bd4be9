"""The fund part of a home's staff console: /manage/<home_slug>/fund/…

Members of the home see it; anyone else gets 404 (an admin may record grants and settlements).
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.errors import render_error
from market.fund import corrections, disbursements, grants, service, settlements
from market.fund import donations as fund_donations
from market.fund.console import decided, fail, home_for, withdrawn
from market.fund.forms import (
    CancelForm,
    ConfirmDonationForm,
    ConfirmGrantForm,
    CorrectionDecisionForm,
    CorrectionForm,
    DecisionForm,
    DisbursementForm,
    GrantForm,
    RejectGrantForm,
    SettlementForm,
    WithdrawForm,
)
from market.fund.service import FundError, FundForbidden, FundNotFound
from market.ledger import service as ledger
from market.once import one_time
from market.uploads import send_document

bp = Blueprint("fund_manage", __name__, url_prefix="/manage/<home_slug>/fund")


@bp.before_request
@login_required
def _logged_in():
    return None


@bp.get("/")
def index(home_slug: str):
    home, role = home_for(home_slug, admin_ok=True)
    return render_template(
        "fund/manage/index.html", home=home, role=role,
        balances=ledger.home_balances(home.id),
        proposals=disbursements.home_disbursements(home.id, "proposed"),
        decided=disbursements.home_disbursements(home.id, limit=20),
        pending_donations=fund_donations.home_donations(home.id, "pending"),
        grants=grants.home_grants(home.id, limit=10),
        unconfirmed_grants=grants.home_grants(home.id, status="recorded"),
        settlements=settlements.home_settlements(home.id, limit=10),
        open_corrections=corrections.home_corrections(home.id, "proposed"),
        to_admin={d.id for d in disbursements.home_disbursements(home.id, "proposed")
                  if service.goes_to_admin(home.id, d.proposed_by_id)},
    )


@bp.route("/disbursements/new", methods=["GET", "POST"])
@one_time
def propose(home_slug: str):
    home, role = home_for(home_slug)
    form = DisbursementForm()
    available = service.available_fen(home.id)
    if form.validate_on_submit():
        proposal = disbursements.Proposal(
            category=form.category.data, amount_fen=form.amount.fen, payee=form.payee.data,
            spent_on=form.spent_on.data, description=form.description.data or "",
        )
        try:
            disbursement = disbursements.propose_disbursement(home.id, current_user, proposal,
                                                              form.receipt.data)
        except FundNotFound:
            abort(404)
        except FundError as error:
            return render_template("fund/manage/propose.html", home=home, form=form,
                                   available=available, error=str(error)), 400
        flash(_("Spending proposed. A supervisor of the home will approve or reject it."), "success")
        return redirect(url_for(".disbursement", home_slug=home.slug, disbursement_id=disbursement.id))
    status = 400 if form.is_submitted() else 200
    return render_template("fund/manage/propose.html", home=home, form=form, available=available), status


@bp.get("/disbursements/<int:disbursement_id>")
def disbursement(home_slug: str, disbursement_id: int):
    home, role = home_for(home_slug, admin_ok=True)
    try:
        found = disbursements.get_disbursement(home.id, disbursement_id)
    except FundNotFound:
        abort(404)
    return render_template("fund/manage/disbursement.html", home=home, role=role, d=found,
                           form=DecisionForm(), withdraw_form=WithdrawForm(),
                           available=service.available_fen(home.id),
                           can_decide=service.can_decide(home.id, found.proposed_by_id, current_user),
                           to_admin=service.goes_to_admin(home.id, found.proposed_by_id))


@bp.post("/disbursements/<int:disbursement_id>/decide")
@one_time
def decide(home_slug: str, disbursement_id: int):
    return decided(
        home_slug, DecisionForm,
        lambda home, approve, comment: disbursements.decide_disbursement(
            home.id, disbursement_id, current_user, approve=approve, comment=comment),
        _("Approved: the spending is now in the public care fund record."),
        _("Rejected. Nothing was paid from the care fund."),
        lambda home: url_for(".disbursement", home_slug=home.slug, disbursement_id=disbursement_id))


@bp.post("/disbursements/<int:disbursement_id>/withdraw")
@one_time
def withdraw_disbursement(home_slug: str, disbursement_id: int):
    return withdrawn(
        home_slug, lambda home: disbursements.withdraw_disbursement(home.id, disbursement_id, current_user),
        _("Your proposal is withdrawn."),
        lambda home: url_for(".disbursement", home_slug=home.slug, disbursement_id=disbursement_id))


@bp.get("/disbursements/<int:disbursement_id>/receipt")
def receipt(home_slug: str, disbursement_id: int):
    home, _role = home_for(home_slug)
    try:
        found = disbursements.get_disbursement(home.id, disbursement_id)
    except FundNotFound:
        abort(404)
    if not found.receipt_path:
        abort(404)
    return send_document(disbursements.receipts_root(), found.receipt_path, found.receipt_content_type,
                         f"receipt-{found.id}", max_age=0)


@bp.get("/donations")
def donations(home_slug: str):
    home, role = home_for(home_slug)
    items = fund_donations.home_donations(home.id)
    forms = {}
    for donation in items:
        if donation.status == "pending":
            confirm = ConfirmDonationForm(prefix=f"d{donation.id}")
            confirm.prefill(donation)
            forms[donation.id] = confirm
    return render_template("fund/manage/donations.html", home=home, donations=items, forms=forms,
                           cancel_form=CancelForm())


@bp.post("/donations/<int:donation_id>/confirm")
@one_time
def confirm_donation(home_slug: str, donation_id: int):
    home, role = home_for(home_slug)
    form = ConfirmDonationForm(prefix=f"d{donation_id}")
    if not form.validate_on_submit():
        message = next(iter(form.amount.errors), None) or _("Please correct the amount.")
        return render_error(400, str(message))
    try:
        fund_donations.staff_confirm_donation(home.id, donation_id, current_user, form.amount.fen)
    except FundError as error:
        return fail(error)
    flash(_("Donation received and added to the care fund."), "success")
    return redirect(url_for(".donations", home_slug=home.slug))


@bp.post("/donations/<int:donation_id>/cancel")
@one_time
def cancel_donation(home_slug: str, donation_id: int):
    home, role = home_for(home_slug)
    if not CancelForm().validate_on_submit():
        return render_error(400)
    try:
        fund_donations.staff_cancel_donation(home.id, donation_id, current_user)
    except FundError as error:
        return fail(error)
    flash(_("Donation cancelled."), "success")
    return redirect(url_for(".donations", home_slug=home.slug))


@bp.route("/grants/new", methods=["GET", "POST"])
@one_time
def new_grant(home_slug: str):
    home, role = home_for(home_slug, admin_ok=True)
    if role != "supervisor" and not current_user.is_admin:
        return render_error(403, _("Only a supervisor of this home or an administrator can record a grant."))
    form = GrantForm()
    if form.validate_on_submit():
        try:
            grant = grants.record_grant(home.id, current_user, source=form.source.data,
                                        source_name=form.source_name.data, amount_fen=form.amount.fen,
                                        received_on=form.received_on.data, note=form.note.data or "",
                                        document=form.document.data)
        except FundError as error:
            if isinstance(error, FundNotFound | FundForbidden):
                return fail(error)
            return render_template("fund/manage/grant.html", home=home, form=form, error=str(error)), 400
        flash(_("Funding recorded. It counts as available once a second person confirms it."), "success")
        return redirect(url_for(".grant", home_slug=home.slug, grant_id=grant.id))
    status = 400 if form.is_submitted() else 200
    return render_template("fund/manage/grant.html", home=home, form=form), status


@bp.route("/settlements/new", methods=["GET", "POST"])
@one_time
def new_settlement(home_slug: str):
    home, role = home_for(home_slug, admin_ok=True)
    if not current_user.is_admin:
        return render_error(403, _("Only an administrator can record a settlement."))
    form = SettlementForm()
    balances = ledger.home_balances(home.id, per_elder=True)  # settlements pay the pooled account
    if form.validate_on_submit():
        try:
            settlements.record_settlement(home.id, current_user, account_code=form.account_code.data,
                                      amount_fen=form.amount.fen, paid_on=form.paid_on.data,
                                      reference=form.reference.data or "")
        except FundError as error:
            if isinstance(error, FundNotFound | FundForbidden):
                return fail(error)
            return render_template("fund/manage/settlement.html", home=home, form=form,
                                   balances=balances, error=str(error)), 400
        flash(_("Settlement recorded."), "success")
        return redirect(url_for(".index", home_slug=home.slug))
    status = 400 if form.is_submitted() else 200
    return render_template("fund/manage/settlement.html", home=home, form=form, balances=balances), status


@bp.get("/grants/<int:grant_id>")
def grant(home_slug: str, grant_id: int):
    home, role = home_for(home_slug, admin_ok=True)
    try:
        found = grants.get_grant(home.id, grant_id)
    except FundNotFound:
        abort(404)
    return render_template("fund/manage/grant_detail.html", home=home, g=found, form=ConfirmGrantForm(),
                           reject_form=RejectGrantForm(),
                           can_confirm=grants.can_confirm(home.id, found, current_user))


@bp.post("/grants/<int:grant_id>/confirm")
@one_time
def confirm_grant(home_slug: str, grant_id: int):
    home, role = home_for(home_slug, admin_ok=True)
    if not ConfirmGrantForm().validate_on_submit():
        return render_error(400)
    try:
        grants.confirm_grant(home.id, grant_id, current_user)
    except FundError as error:
        return fail(error)
    flash(_("Confirmed: the money is now in the available care fund."), "success")
    return redirect(url_for(".grant", home_slug=home.slug, grant_id=grant_id))


@bp.post("/grants/<int:grant_id>/reject")
@one_time
def reject_grant(home_slug: str, grant_id: int):
    home, _role = home_for(home_slug, admin_ok=True)
    form = RejectGrantForm()
    if not form.validate_on_submit():
        message = next(iter(form.reason.errors), None) if form.reason.errors else None
        return render_error(400, str(message) if message else None)
    try:
        grants.reject_grant(home.id, grant_id, current_user, reason=form.reason.data)
    except FundError as error:
        return fail(error)
    flash(_("Rejected: it does not count as money."), "success")
    return redirect(url_for(".grant", home_slug=home.slug, grant_id=grant_id))


@bp.get("/grants/<int:grant_id>/document")
def grant_document(home_slug: str, grant_id: int):
    home, _role = home_for(home_slug, admin_ok=True)
    try:
        found = grants.get_grant(home.id, grant_id)
    except FundNotFound:
        abort(404)
    if not found.document_path:
        abort(404)
    return send_document(disbursements.receipts_root(), found.document_path, found.document_content_type,
                         f"grant-{found.id}", max_age=0)


# ---- corrections of mistaken entries (four eyes) ------------------------------------------------

@bp.route("/corrections/new", methods=["GET", "POST"])
@one_time
def new_correction(home_slug: str):
    home, role = home_for(home_slug)
    form = CorrectionForm()
    if not form.is_submitted() and (request.args.get("seq") or "").isdigit():
        form.seq.data = int(request.args["seq"][:10])
    if form.validate_on_submit():
        try:
            correction = corrections.propose_correction(home.id, current_user, form.seq.data,
                                                        form.reason.data)
        except FundError as error:
            if isinstance(error, FundNotFound | FundForbidden):
                return fail(error)
            return render_template("fund/manage/correction_new.html", home=home, form=form,
                                   error=str(error)), 400
        flash(_("Correction proposed. Someone else must approve it before anything changes."), "success")
        return redirect(url_for(".correction", home_slug=home.slug, correction_id=correction.id))
    status = 400 if form.is_submitted() else 200
    return render_template("fund/manage/correction_new.html", home=home, form=form), status


@bp.get("/corrections/<int:correction_id>")
def correction(home_slug: str, correction_id: int):
    home, role = home_for(home_slug, admin_ok=True)
    try:
        found = corrections.get_correction(home.id, correction_id)
    except FundNotFound:
        abort(404)
    return render_template("fund/manage/correction.html", home=home, role=role, c=found,
                           form=CorrectionDecisionForm(), withdraw_form=WithdrawForm(),
                           can_decide=service.can_decide(home.id, found.proposed_by_id, current_user),
                           to_admin=service.goes_to_admin(home.id, found.proposed_by_id))


@bp.post("/corrections/<int:correction_id>/decide")
@one_time
def decide_correction(home_slug: str, correction_id: int):
    return decided(
        home_slug, CorrectionDecisionForm,
        lambda home, approve, comment: corrections.decide_correction(
            home.id, correction_id, current_user, approve=approve, comment=comment),
        _("Approved: the reversing entry is now in the public record."), _("Rejected. Nothing was changed."),
        lambda home: url_for(".correction", home_slug=home.slug, correction_id=correction_id))


@bp.post("/corrections/<int:correction_id>/withdraw")
@one_time
def withdraw_correction(home_slug: str, correction_id: int):
    return withdrawn(
        home_slug, lambda home: corrections.withdraw_correction(home.id, correction_id, current_user),
        _("Your proposal is withdrawn."),
        lambda home: url_for(".correction", home_slug=home.slug, correction_id=correction_id))


@bp.app_template_global("status_label")
def _status_label(status: str) -> str:
    return service.status_label(status)
