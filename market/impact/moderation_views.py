"""Moderating reported reviews: /admin/impact/moderation (the platform admin, every home) and
/manage/<home_slug>/moderation (the home's committee, i.e. its supervisors, its own reviews
only). Staff of the home get 403, anyone of another home 404, as elsewhere in the console."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.console import home_and_role
from market.impact import moderation
from market.impact.forms import ModerationForm
from market.impact.records import ImpactError
from market.once import one_time

bp = Blueprint("impact_moderation", __name__)


def _admin() -> None:
    if not current_user.is_admin:
        abort(403)


def _committee_home(home_slug: str):
    home, role = home_and_role(current_user, home_slug)
    if home is None:
        abort(404)
    if role != "supervisor":
        abort(403)
    return home


def _page(home, form: ModerationForm, error: str | None = None, status: int = 200):
    items = moderation.reported(home.id if home is not None else None)
    return render_template("impact/moderation.html", home=home, items=items, form=form, error=error,
                           decisions=moderation.decisions([r.id for r in items])), status


def _decide(home, done_url: str):
    form = ModerationForm()
    if not form.validate_on_submit():
        return _page(home, form, _("Please say why: the reason is kept with the decision."), 400)
    try:
        moderation.decide(current_user, form.review.data, form.action.data, form.reason.data,
                          home_id=home.id if home is not None else None)
    except ImpactError as error:
        return _page(home, form, str(error), 400)
    flash(_("The decision was recorded."), "success")
    return redirect(done_url)


@bp.get("/admin/impact/moderation")
@login_required
def admin_list():
    _admin()
    return _page(None, ModerationForm())


@bp.post("/admin/impact/moderation")
@login_required
@one_time
def admin_decide():
    _admin()
    return _decide(None, url_for(".admin_list"))


@bp.get("/manage/<home_slug>/moderation")
@login_required
def committee_list(home_slug: str):
    return _page(_committee_home(home_slug), ModerationForm())


@bp.post("/manage/<home_slug>/moderation")
@login_required
@one_time
def committee_decide(home_slug: str):
    home = _committee_home(home_slug)
    return _decide(home, url_for(".committee_list", home_slug=home.slug))
