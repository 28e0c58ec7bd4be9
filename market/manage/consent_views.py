"""An elder's consent in the staff console: what it covers, how it was given, who recorded it
and when, its history, and withdrawing it (which hides the elder's name on public pages at
once). Routes on the console's blueprint (blueprint.py), so access is decided there: another
home's elder is a 404, a supervisor reads only."""

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from market.manage import consent, service
from market.manage.blueprint import bp
from market.manage.forms import ConsentForm, WithdrawConsentForm
from models import User, db


def _elder(elder_id: int):
    return service.elder_in(g.home, elder_id) or abort(404)


def _page(elder, form=None, withdraw_form=None, status=200):
    records = consent.history(elder)
    ids = ({r.recorded_by_id for r in records} | {r.withdrawn_by_id for r in records}) - {None}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    names = {uid: name for uid, name in rows}
    return render_template(
        "manage/consent.html", elder=elder, current=consent.in_force(elder), records=records, names=names,
        form=form or ConsentForm(), withdraw_form=withdraw_form or WithdrawConsentForm()), status


@bp.get("/<home_slug>/elders/<int:elder_id>/consent")
def elder_consent(home_slug: str, elder_id: int):
    return _page(_elder(elder_id))


@bp.post("/<home_slug>/elders/<int:elder_id>/consent")
def elder_consent_record(home_slug: str, elder_id: int):
    elder = _elder(elder_id)
    form = ConsentForm()
    if not form.validate_on_submit():
        return _page(elder, form=form, status=400)
    data = consent.ConsentInput(
        covers_name=bool(form.covers_name.data), covers_photos=bool(form.covers_photos.data),
        covers_reviews=bool(form.covers_reviews.data), how=form.how.data or "",
        witness_name=form.witness_name.data or "", note=form.note.data or "")
    try:
        consent.record_consent(g.home, elder, data, current_user)
    except service.ManageError as error:
        target = getattr(form, error.field or "", None)
        (target.errors if target is not None else form.form_errors).append(str(error))
        return _page(elder, form=form, status=400)
    flash(_("Consent recorded."), "success")
    return redirect(url_for("manage.elder_consent", home_slug=g.home.slug, elder_id=elder.id))


@bp.post("/<home_slug>/elders/<int:elder_id>/consent/withdraw")
def elder_consent_withdraw(home_slug: str, elder_id: int):
    elder = _elder(elder_id)
    form = WithdrawConsentForm()
    if not form.validate_on_submit():
        return _page(elder, withdraw_form=form, status=400)
    try:
        consent.withdraw_consent(g.home, elder, current_user, form.note.data or "")
    except service.ManageError as error:
        flash(str(error), "error")  # shown even when the page has no withdraw form
        return _page(elder, withdraw_form=form, status=400)
    flash(_("Consent withdrawn. The elder's name no longer shows on the site."), "success")
    return redirect(url_for("manage.elder_consent", home_slug=g.home.slug, elder_id=elder.id))
