"""Platform admin: background jobs waiting or failed, their last error, and a retry button."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from market.jobs import outbox
from models import OutboxJob, db
from models.jobs import JobStatus

bp = Blueprint("jobs_admin", __name__, url_prefix="/admin/jobs")


@bp.before_request
@login_required
def _admins_only():
    if not current_user.is_admin:
        abort(403)


@bp.get("")
@bp.get("/")
def index():
    rows = db.session.scalars(
        select(OutboxJob).where(OutboxJob.status != JobStatus.DONE)
        .order_by(OutboxJob.status, OutboxJob.id).limit(300)).all()
    return render_template("admin/jobs.html", rows=rows, summary=outbox.status())


@bp.post("/<int:job_id>/retry")
def retry(job_id: int):
    if outbox.retry(job_id):
        flash(_("The job will be tried again now."))
    else:
        flash(_("This job cannot be tried again: it is done or running."))
    return redirect(url_for(".index"))
