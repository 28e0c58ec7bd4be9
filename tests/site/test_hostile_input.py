"""Every route in app.url_map, as four roles, with hostile values: never a 5xx, and a request the
site refuses (4xx) commits nothing.

The routes come from app.url_map and the argument names from the code itself (every
`request.args/form.get("…")` in market/ and every field of every WTForms form), so a route or
a field added later is walked without editing this file. Each role tries its own share of the
hostile values on each path parameter, and every query argument and form field at once, so the
four roles together try every value on every route (a full product would take hours).
"""

import re
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from flask import current_app
from flask_wtf import FlaskForm
from sqlalchemy import event

from market import create_app
from market.once import FIELD, new_token
from models import db
from tests.conftest import csrf_from, login
from tests.manage.test_isolation import World

MARKET = Path(__file__).resolve().parents[2] / "market"

HOSTILE = [
    "a\x00b",  # NUL: PostgreSQL refuses it in text
    b"\xff\xfe\xc0",  # not UTF-8
    "99999999999999999999999",  # beyond any integer column
    "2147483648",  # one past PostgreSQL's integer
    "-1",
    "x" * 10_000,
    "9999-12-31",  # the last day a date can hold
    "1e309",  # a float that overflows
    "12,50",
    "😀" * 20,
    "\u202egnp.exe",  # right-to-left override
    "' OR 1=1; DROP TABLE users; --",
    "{{7*7}}",
    "<script>alert(1)</script>",
    "",
]
ROLES = ("anonymous", "customer", "staff", "admin")


def _rules():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted((rule.rule, method, rule.endpoint) for rule in app.url_map.iter_rules()
                  for method in rule.methods - {"HEAD", "OPTIONS"} if rule.endpoint != "static")


def _argument_names() -> tuple[list[str], list[str]]:
    """(query names, form names) that code in market/ reads."""
    source = "\n".join(path.read_text() for path in MARKET.rglob("*.py"))
    query = set(re.findall(r'request\.args\.get\("([^"]+)"', source))
    query |= set(re.findall(r'"([a-z_]+)" in request\.args', source))
    form = set(re.findall(r'request\.form\.get\("([^"]+)"', source))
    form |= set(re.findall(r'form\.get\("([a-z_]+)"', source))
    import market.accounts.views  # noqa: F401  (every blueprint is imported by _rules() already)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for form_class in subclasses(FlaskForm):
        for name in dir(form_class):
            field = getattr(form_class, name, None)
            if hasattr(field, "field_class"):
                (query if getattr(form_class.Meta, "csrf", True) is False else form).add(name)
    return sorted(query), sorted(form)


RULES = _rules()
QUERY_NAMES, FORM_NAMES = _argument_names()


def test_the_walk_covers_the_site():
    assert len(RULES) >= 80
    assert {"after", "page", "province", "q"} <= set(QUERY_NAMES)
    assert {"listing_id", "quantity", "identifier", "password", "amount"} <= set(FORM_NAMES)


def _quoted(value) -> str:
    return quote(value if isinstance(value, bytes) else value.encode(), safe="")


def _path_values(world: World, endpoint: str) -> dict:
    rows = world.a
    listing = rows.homestay if "room" in endpoint else rows.tour
    reference = rows.donation.reference if endpoint.startswith("fund.") else rows.order.reference
    return {
        "home_slug": rows.home.slug, "slug": listing.slug if "listing" in endpoint else rows.home.slug,
        "kind": "tour", "listing_id": listing.id, "session_id": rows.session.id,
        "room_id": rows.room.id, "photo_id": rows.photo.id, "elder_id": rows.elder.id,
        "home_id": rows.home.id, "membership_id": rows.membership.id,
        "disbursement_id": rows.disbursement.id, "donation_id": rows.donation.id,
        "reference": reference, "line_id": rows.line.id, "item_id": 1, "job_id": 1, "seq": 1, "year": 2026,
        "refund_id": 1,
        "correction_id": rows.correction.id, "grant_id": rows.grant.id,
        "month": 1, "code": "en", "path": "x.jpg", "token": "0" * 32,
        "person_id": rows.tb_elder.id, "request_id": rows.tb_request.id, "service_id": rows.tb_service.id,
        "dispute_id": rows.tb_dispute.id, "allocation_id": rows.tb_allocation.id,
        "recognition_id": 1, "budget_id": 1, "payout_id": rows.payout.id,
        "day": (date.today() + timedelta(days=5)).isoformat(),  # a room's night (room calendar)
    }


def _url(rule: str, values: dict, hostile_name: str | None = None, hostile=None) -> str:
    def fill(match):
        name = match.group(1)
        if name == hostile_name:
            return _quoted(hostile)
        return _quoted(str(values[name]))

    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", fill, rule)


class Writes:
    """Statements that changed rows and were committed, as the engine saw them."""

    def __init__(self, engine):
        self.pending, self.committed = [], []
        event.listen(engine, "before_cursor_execute", self._execute)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)

    def _execute(self, _conn, _cursor, statement, *_args):
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            self.pending.append(statement.split("\n")[0][:120])

    def _commit(self, _conn):
        self.committed.extend(self.pending)
        self.pending.clear()

    def _rollback(self, _conn):
        self.pending.clear()

    def reset(self):
        self.pending.clear()
        self.committed.clear()


def _client(world: World, role: str):
    client = current_app.test_client()
    user = {"customer": world.customer, "staff": world.staff_a, "admin": world.admin}.get(role)
    if user is not None:
        login(client, user)
    client.csrf = csrf_from(client, "/login" if user is None else "/")
    return client


def _send(client, method: str, url: str, value):
    if method == "GET":
        query = urlencode([(name, value) for name in QUERY_NAMES])
        return client.get(url + "?" + query)
    pairs = [(name, value) for name in FORM_NAMES] + [("csrf_token", client.csrf), (FIELD, new_token())]
    return client.post(url, data=urlencode(pairs), content_type="application/x-www-form-urlencoded")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r[1]} {r[0]}")
def test_hostile_input_never_breaks_a_route(app, rule):
    path, method, endpoint = rule
    world = World()
    writes = Writes(db.engine)
    names = re.findall(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", path)
    values = _path_values(world, endpoint)
    problems = []
    for index, role in enumerate(ROLES):
        client = _client(world, role)
        share = HOSTILE[index::len(ROLES)]
        attempts = [(_url(path, values), value) for value in share]
        attempts += [(_url(path, values, name, value), "1") for name in names for value in share]
        for url, value in attempts:
            writes.reset()
            response = _send(client, method, url, value)
            status = response.status_code
            shown = f"{role}: {method} {url[:80]} {value!r:.40}"
            if status >= 500:
                problems.append(f"{shown} -> {status}")
            elif status >= 400 and writes.committed:
                problems.append(f"{shown} -> {status} but wrote {writes.committed}")
    assert not problems, "\n".join(problems)
