"""Platform admin: homes, their care share, staff and supervisors. Non-admins get 403."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.admin import service
from market.admin.forms import HomeForm, InviteForm, MemberForm
from models import Home, db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only():
    if not current_user.is_admin:
        abort(403)


def _home(home_id: int) -> Home:
    return db.session.get(Home, home_id) or abort(404)


def _attach(form, error: service.AdminError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = [*target.errors, str(error)]
    else:
        form.form_errors.append(str(error))


def _home_input(form: HomeForm) -> service.HomeInput:
    names = ("slug", "name_zh", "name_en", "province_zh", "province_en", "county_zh", "county_en",
             "village_zh", "village_en", "story_zh", "story_en")
    values = {name: (getattr(form, name).data or "") for name in names}
    return service.HomeInput(**values, care_share_bps=form.care_share.bps, status=form.status.data)


def _status(form) -> int:
    return 400 if form.errors or form.form_errors else 200


@bp.get("/")
def index():
    return redirect(url_for(".homes"))


@bp.get("/homes")
def homes():
    return render_template("admin/homes.html", homes=service.list_homes())


@bp.route("/homes/new", methods=["GET", "POST"])
def home_new():
    form = HomeForm(data=None if request.method == "POST" else {"care_share": 2000, "status": "active"})
    if form.validate_on_submit():
        if form.care_share.bps is None:
            form.care_share.errors.append(_("Enter a percentage from 0 to 100 with at most two decimals."))
        else:
            try:
                home = service.create_home(_home_input(form), actor=current_user)
            except service.AdminError as error:
                _attach(form, error)
            else:
                flash(_("Home created. Now add its staff."), "success")
                return redirect(url_for(".home_edit", home_id=home.id))
    return render_template("admin/home_form.html", form=form, home=None), _status(form)


def _edit_page(home: Home, form: HomeForm, member_form: MemberForm, invite_form: InviteForm | None = None):
    invite_form = invite_form or InviteForm(formdata=None)
    status = max(_status(form), _status(member_form), _status(invite_form))
    return render_template("admin/home_form.html", form=form, home=home, member_form=member_form,
                           invite_form=invite_form, members=service.home_members(home)), status


@bp.route("/homes/<int:home_id>/edit", methods=["GET", "POST"])
def home_edit(home_id: int):
    home = _home(home_id)
    initial = None
    if request.method != "POST":
        initial = {name: getattr(home, name) for name in (
            "slug", "name_zh", "name_en", "province_zh", "province_en", "county_zh", "county_en",
            "village_zh", "village_en", "story_zh", "story_en", "status")}
        initial["care_share"] = home.care_share_bps
    form = HomeForm(data=initial)
    if form.validate_on_submit():
        if form.care_share.bps is None:
            form.care_share.errors.append(_("Enter a percentage from 0 to 100 with at most two decimals."))
        else:
            try:
                service.update_home(home, _home_input(form), actor=current_user)
            except service.AdminError as error:
                _attach(form, error)
            else:
                flash(_("Changes saved."), "success")
                return redirect(url_for(".home_edit", home_id=home.id))
    return _edit_page(home, form, MemberForm(formdata=None))


@bp.post("/homes/<int:home_id>/members")
def member_add(home_id: int):
    home = _home(home_id)
    member_form = MemberForm()
    if member_form.validate_on_submit():
        try:
            service.assign_member(home, member_form.identifier.data, member_form.role.data,
                                  actor=current_user)
        except service.AdminError as error:
            _attach(member_form, error)
        else:
            flash(_("Member saved."), "success")
            return redirect(url_for(".home_edit", home_id=home.id))
    form = HomeForm(formdata=None, obj=home)
    form.care_share.process_data(home.care_share_bps)
    return _edit_page(home, form, member_form)


@bp.post("/homes/<int:home_id>/invitations")
def member_invite(home_id: int):
    home = _home(home_id)
    invite_form = InviteForm()
    if invite_form.validate_on_submit():
        try:
            service.invite_member(home, invite_form.name.data, invite_form.email.data, invite_form.role.data,
                                  actor=current_user)
        except service.AdminError as error:
            _attach(invite_form, error)
        else:
            flash(_("Invitation sent. They choose a password from the link in the email."), "success")
            return redirect(url_for(".home_edit", home_id=home.id))
    form = HomeForm(formdata=None, obj=home)
    form.care_share.process_data(home.care_share_bps)
    return _edit_page(home, form, MemberForm(formdata=None), invite_form)


@bp.post("/homes/<int:home_id>/members/<int:membership_id>/remove")
def member_remove(home_id: int, membership_id: int):
    home = _home(home_id)
    membership = service.membership_in(home, membership_id) or abort(404)
    service.remove_member(home, membership, actor=current_user)
    flash(_("Member removed."), "success")
    return redirect(url_for(".home_edit", home_id=home.id))
