"""One-time form tokens: a form posted twice (a double click, a reload, a resent request) does
its work once.

Each money form carries a hidden `form_once` token, new each time the form is rendered
(`{{ form_once() }}`). A view wrapped in `@one_time` records the token in `used_form_tokens` in
the same transaction as its own work, when that commits: if the work is refused or rolled back,
the token stays unused and the person can correct the form and send it again; once the work
is committed, the same token is answered "already sent" and nothing happens twice.
"""

import functools
import re
import uuid

from flask import request
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from models import UsedFormToken, db

FIELD = "form_once"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
EXPIRED = _l("The form expired. Please reload the page and try again.")
ALREADY_SENT = _l("This form was already sent. Nothing was done twice: please look at the page again.")


def new_token() -> str:
    return uuid.uuid4().hex


def hidden_field() -> Markup:
    """The hidden input for a template: `{{ form_once() }}` inside the <form>."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{new_token()}">')


class MissingToken(Exception):
    """A money form committed its work without a one-time token."""


def _is_ours(error: IntegrityError) -> bool:
    return UsedFormToken.__tablename__ in str(error.orig) or "form_tokens" in str(error)


def one_time(view):
    """A POST to `view` commits its work only together with an unused one-time token.

    The token is recorded when the view's own transaction commits, not before: a request the
    view refuses (not logged in, another home, a wrong field) gets the view's own answer and
    leaves the token unused."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        from market.errors import render_error

        if request.method != "POST":
            return view(*args, **kwargs)
        token = request.form.get(FIELD, "")
        valid = bool(_TOKEN.match(token))
        if valid and db.session.scalar(select(UsedFormToken.token).where(UsedFormToken.token == token)):
            return render_error(409, str(ALREADY_SENT))
        session = db.session()
        claimed = []

        def claim(_session):
            if claimed:
                return
            if not valid:
                raise MissingToken
            claimed.append(token)
            # Flushed with the view's work; a second copy sent at the same moment waits for
            # this transaction on the primary key and is then refused.
            _session.add(UsedFormToken(token=token))

        event.listen(session, "before_commit", claim)
        try:
            return view(*args, **kwargs)
        except MissingToken:
            db.session.rollback()
            return render_error(400, str(EXPIRED))
        except IntegrityError as error:
            if not _is_ours(error):
                raise
            db.session.rollback()
            return render_error(409, str(ALREADY_SENT))
        finally:
            event.remove(session, "before_commit", claim)

    guarded.one_time = True
    return guarded
