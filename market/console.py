"""Who may enter a home's console (/manage/<home_slug>/…), shared by the listing and order
consoles: anonymous visitors go to the log-in page; a user who does not belong to the home in
the URL gets 404 (the console does not exist for them); a supervisor may read but every write
is 403. Rows named by id are then looked up only inside g.home.
"""

from flask import abort, current_app, g, request
from flask_login import current_user
from sqlalchemy import select

from models import Home, Membership, db

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def home_and_role(user, slug: str) -> tuple[Home | None, str | None]:
    """(home, role) when the user belongs to the home with this slug, else (None, None)."""
    if user is None or not user.is_authenticated:
        return None, None
    row = db.session.execute(
        select(Home, Membership.role)
        .join(Membership, Membership.home_id == Home.id)
        .where(Home.slug == slug, Membership.user_id == user.id)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def enter_home_console():
    """A blueprint's before_request: sets g.home, g.role and g.can_edit, or refuses."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    slug = (request.view_args or {}).get("home_slug")
    if slug is None:
        return None
    home, role = home_and_role(current_user, slug)
    if home is None:
        abort(404)
    if request.method not in READ_METHODS and role != "staff":
        abort(403)
    g.home, g.role, g.can_edit = home, role, role == "staff"
    return None
