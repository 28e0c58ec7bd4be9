from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from market.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", database=False), 503
    from market.jobs import outbox

    try:
        jobs = outbox.status()
    except SQLAlchemyError:  # a database without the jobs tables yet: say so, stay up
        db.session.rollback()
        jobs = None
    db.session.rollback()
    from market import caching, storage

    # Where shared things live: "local"/"s3" files, a "simple"/"redis" cache (several servers
    # need s3 and redis; a monitor can alert on anything else where more than one runs).
    files = "s3" if isinstance(storage.uploads(), storage.S3Storage) else "local"
    return jsonify(status="ok", database=True, jobs=jobs, files=files, cache=caching.kind())
