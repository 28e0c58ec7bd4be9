from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from market.accounts import invitations, service
from market.accounts.forms import EndSessionsForm, InvitationForm, LoginForm, PasswordForm, SignupForm
from market.extensions import login_manager
from market.i18n import chosen_language, remember_language
from market.redirects import local_path

bp = Blueprint("accounts", __name__)
login_manager.user_loader(service.load_session_user)


def _safe_next(default: str) -> str:
    return local_path(request.args.get("next"), default)


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        email, phone = service.normalize_identifier(form.identifier.data)
        # The same answer whether the account is new or already existed (its owner got a mail):
        # so not even a new account is logged in here.
        service.sign_up(form.name.data, form.password.data, email=email, phone=phone)
        flash(_("Thank you. Your account is ready: log in with it. If this email or number "
                "already had an account, we have written to its owner instead."), "success")
        return redirect(url_for("accounts.login", next=_safe_next(url_for("catalog.index"))))
    return render_template("accounts/signup.html", form=form), 400 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.identifier.data, form.password.data)
        if user is not None:
            login_user(user)
            response = redirect(_safe_next(service.landing_page(user)))
            language = service.locale_after_login(user, chosen_language())
            return remember_language(response, language) if language else response
        form.password.errors.append(_("The account or password is not right."))
    return render_template("accounts/login.html", form=form), 400 if form.errors else 200


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """An invited staff member chooses a password, is logged in and lands on their day."""
    try:
        user = invitations.invited_user(token)
    except service.AccountError as error:
        return render_template("accounts/invitation.html", problem=str(error), form=None), 400
    form = InvitationForm()
    if form.validate_on_submit():
        invitations.accept(user, form.password.data)
        login_user(user)
        flash(_("Welcome, %(name)s. Your password is set.", name=user.name), "success")
        return redirect(service.landing_page(user))
    return render_template("accounts/invitation.html", form=form, user=user, problem=None), \
        400 if form.errors else 200


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        service.locale_after_login(current_user, chosen_language())  # the account keeps it
        service.end_sessions(current_user)  # a copy of the cookie kept elsewhere stops working too
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("catalog.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(current_user, form.current.data, form.password.data)
        except service.AccountError as error:
            form.current.errors.append(str(error))
        else:
            login_user(current_user)  # this browser stays logged in; all others are logged out
            flash(_("Password changed. You were logged out everywhere else."), "success")
            return redirect(url_for("catalog.index"))
    return render_template("accounts/password.html", form=form, end_form=EndSessionsForm()), \
        400 if form.errors else 200


@bp.post("/account/sessions/end")
@login_required
def end_other_sessions():
    """Log out every other browser and device; this one stays logged in."""
    if not EndSessionsForm().validate_on_submit():
        return redirect(url_for(".password"))
    service.end_sessions(current_user)
    login_user(current_user)  # this browser gets a cookie with the new version
    flash(_("You were logged out everywhere else."), "success")
    return redirect(url_for(".password"))
