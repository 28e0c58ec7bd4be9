"""Error pages in the reader's language; a 500 never leaves a transaction open."""

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from market.extensions import db

MESSAGES = {
    400: (_l("Something in the request was not right"), _l("Please go back and try again.")),
    403: (_l("You cannot do that"), _l("This page is for another role or another home.")),
    404: (_l("Page not found"), _l("The page may have moved, or the link is wrong.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    409: (_l("Already changed"), _l("Someone changed this just now. Please look again.")),
    413: (_l("File too large"), _l("Please choose a smaller file.")),
    429: (_l("Too many tries"), _l("Please try again in a few minutes.")),
    500: (_l("Something went wrong on our side"), _l("Nothing was saved. Please try again.")),
    503: (_l("Temporarily unavailable"), _l("Please try again in a minute.")),
}


def render_error(code: int, detail: str | None = None):
    title, hint = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title, hint=detail or hint), code


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_error):
        return render_error(400, str(_l("The form expired. Please reload the page and try again.")))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code not in MESSAGES:
            return error
        return render_error(error.code)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error: %s", error)
        return render_error(500)
