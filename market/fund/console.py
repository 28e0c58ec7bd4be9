"""What the fund's console views share: finding the home a member may open, turning a refusal
into its page, and the four-eyes decide and withdraw steps."""

from flask import abort, flash, redirect
from flask_login import current_user
from sqlalchemy import select

from market.accounts.service import role_in_home
from market.errors import render_error
from market.fund.forms import WithdrawForm
from market.fund.service import FundError, FundForbidden, FundNotFound
from models import Home, db


def home_for(slug: str, *, admin_ok: bool = False) -> tuple[Home, str | None]:
    """The home and the user's role in it; 404 for anyone not a member (or an admin, if ok)."""
    home = db.session.scalar(select(Home).where(Home.slug == slug))
    if home is None:
        abort(404)
    role = role_in_home(current_user, home.id)
    if role is None and not (admin_ok and current_user.is_admin):
        abort(404)
    return home, role


def fail(error: FundError, code: int = 409):
    if isinstance(error, FundNotFound):
        return render_error(404, str(error))
    if isinstance(error, FundForbidden):
        return render_error(403, str(error))
    return render_error(code, str(error))


def decided(home_slug: str, form_class, act, yes: str, no: str, back):
    """A four-eyes decision posted with `form_class` (comment, approve, reject): `act(home,
    approve, comment)` records it (a FundError refuses it, nothing changed); then the message for
    yes or no, and a redirect to `back(home)`."""
    home, _role = home_for(home_slug, admin_ok=True)
    form = form_class()
    if not form.validate_on_submit():
        return render_error(400)
    approve = bool(form.approve.data) and not form.reject.data
    try:
        act(home, approve, form.comment.data or "")
    except FundError as error:
        return fail(error)
    flash(yes if approve else no, "success")
    return redirect(back(home))


def withdrawn(home_slug: str, act, message: str, back):
    """The proposer takes back what is not yet decided: `act(home)`, then `message` and `back(home)`."""
    home, _role = home_for(home_slug)
    if not WithdrawForm().validate_on_submit():
        return render_error(400)
    try:
        act(home)
    except FundError as error:
        return fail(error)
    flash(message, "success")
    return redirect(back(home))
