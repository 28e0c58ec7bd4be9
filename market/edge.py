"""The request's edge: input no view could store is refused once, here, before any view runs.

- A request guard: a NUL byte or invalid UTF-8 in the path, the query string or a form field
  answers 400 (PostgreSQL refuses NUL in text; invalid UTF-8 is never what a person typed).
- URL converters bounded to the database's integer column: `/ledger/entries/2147483648` is a
  page that does not exist (404), not an error.
- Query and form arguments read with `type=int` stay in that range too (out of range reads as
  absent, as Werkzeug treats any value `int()` refuses).
- A backstop: a value the database still refuses (DataError) or Python cannot represent
  (OverflowError, e.g. a date past 9999-12-31) answers 400 with nothing written.
- Behind nginx (docs/deploy.md), TRUSTED_PROXIES=1: the client's address and scheme are read
  from the proxy's X-Forwarded-For / X-Forwarded-Proto (werkzeug's ProxyFix), so per-address
  throttles count people, not the proxy. 0 (the default): those headers are ignored.
"""

from urllib.parse import unquote_to_bytes

from flask import Flask, Request, request
from sqlalchemy.exc import DataError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

from market.extensions import db

INT_MAX = 2**31 - 1  # PostgreSQL's integer; ids and counts above it cannot exist
URLENCODED = "application/x-www-form-urlencoded"


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` that matches only what an integer column can hold."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


class BoundedArgs(ImmutableMultiDict):
    """`.get(name, type=int)` reads an integer beyond the column range as absent."""

    def get(self, key, default=None, type=None):  # noqa: A002 - Werkzeug's own signature
        value = super().get(key, default, type)
        if type is int and isinstance(value, int) and not -INT_MAX <= value <= INT_MAX:
            return default
        return value


class EdgeRequest(Request):
    parameter_storage_class = BoundedArgs


def _valid_text(raw: bytes) -> bool:
    """Percent-decoded, the bytes are UTF-8 without NUL."""
    data = unquote_to_bytes(raw.replace(b"+", b" "))
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _clean(text: str) -> bool:
    # Werkzeug decodes the path with U+FFFD for bytes that are not UTF-8.
    return "\x00" not in text and "\ufffd" not in text


def hostile_request() -> bool:
    """True when the path, query string or a form field holds NUL or invalid UTF-8."""
    if not _clean(request.path) or not _valid_text(request.query_string):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    if request.mimetype == URLENCODED:
        return not _valid_text(request.get_data(cache=True))
    # Multipart: field names and text values (file contents are the upload checks' business).
    return any(not _clean(key) or not _clean(value) for key, value in request.form.items(multi=True)) \
        or any(not _clean(key) for key in request.files)


def init_app(app: Flask) -> None:
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.request_class = EdgeRequest
    app.url_map.converters["int"] = BoundedIntConverter

    @app.before_request
    def _refuse_hostile_input():
        from market.errors import render_error

        if hostile_request():
            return render_error(400)
        return None

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _unstorable(error):
        from market.errors import render_error

        db.session.rollback()
        app.logger.warning("refused a value the database cannot hold: %s", error)
        return render_error(400)
