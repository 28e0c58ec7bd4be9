"""Each member's mail settings for a home: /manage/<home_slug>/notifications.

Any member of the home may read and change their own settings (a supervisor too, though the
rest of the console is read-only for them); a person of another home gets 404."""

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from market.console import home_and_role
from market.notify import service

bp = Blueprint("notify_staff", __name__, url_prefix="/manage/<home_slug>/notifications")

LABELS = {
    "new_order": (_l("A new order"), _l("When a buyer orders (paid online, or to pay the home).")),
    "offline_payment": (_l("A payment to confirm"),
                        _l("When a buyer will pay the home in cash or by transfer.")),
    "approval": (_l("Spending or a correction to approve"),
                 _l("When someone else proposes to spend from the care fund or to correct an entry.")),
    "donation": (_l("A donation pledged"), _l("When someone pledges money to the care fund.")),
    "low_stock": (_l("Goods running low"), _l("When a sale leaves %(count)d or fewer of a product.",
                                               count=service.LOW_STOCK)),
}


class SettingsForm(FlaskForm):
    """CSRF only: the boxes are read from the request by kind."""


@bp.before_request
def _member_only():
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    home, role = home_and_role(current_user, (request.view_args or {}).get("home_slug", ""))
    if home is None:
        abort(404)
    g.home, g.role, g.can_edit = home, role, role == "staff"
    return None


def _render(status: int = 200):
    chosen = service.choices(current_user.id, g.home.id, g.role)
    return render_template("notify/settings.html", home=g.home, can_edit=g.can_edit, form=SettingsForm(),
                           chosen=chosen, labels=LABELS, has_email=bool(current_user.email)), status


@bp.get("/")
def settings(home_slug: str):
    return _render()


@bp.post("/")
def save(home_slug: str):
    form = SettingsForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please reload the page and try again."), "error")
        return _render(400)
    wanted = {kind for kind in service.kinds_for(g.role) if request.form.get(f"kind-{kind}") == "on"}
    service.save_choices(current_user.id, g.home.id, g.role, wanted)
    flash(_("Saved. You will be told by mail about what you ticked."), "success")
    return redirect(url_for("notify_staff.settings", home_slug=g.home.slug))
