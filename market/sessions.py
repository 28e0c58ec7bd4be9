"""Sessions that end: a session idle too long ends on the server, whatever the cookie says.

The cookie carries the user's session_version (models.User.get_id), so logging out, changing the
password or "log out everywhere else" bumps the version and every older cookie stops working.
Here, the time of the last request rides in the signed session; a customer's session ends after
SESSION_IDLE_HOURS without a request, staff and admins' after STAFF_SESSION_IDLE_HOURS.
"""

import time

from flask import Flask, current_app, flash, request, session
from flask_babel import gettext as _
from flask_login import current_user, logout_user, user_logged_in

SEEN = "seen"


def now() -> int:
    return int(time.time())


def idle_limit_seconds(user) -> int:
    staff = user.is_admin or bool(user.memberships)
    hours = current_app.config["STAFF_SESSION_IDLE_HOURS" if staff else "SESSION_IDLE_HOURS"]
    return hours * 3600


def _mark_seen(_app, user, **_extra) -> None:
    session.permanent = True  # the cookie lasts PERMANENT_SESSION_LIFETIME, not just until closing
    session[SEEN] = now()


def init_app(app: Flask) -> None:
    user_logged_in.connect(_mark_seen, app)

    @app.before_request
    def _end_idle_sessions():
        if request.endpoint == "static" or not current_user.is_authenticated:
            return
        seen = session.get(SEEN)
        if isinstance(seen, int) and now() - seen > idle_limit_seconds(current_user):
            logout_user()
            session.pop(SEEN, None)
            flash(_("You were logged out after a long time away. Please log in again."), "info")
            return
        session[SEEN] = now()
