"""The hostile-input walk (tests/site/test_hostile_input.py) on every time-bank route, with real
rows behind the ids (a person, a request, a service, a dispute, an allocation, a recognition and
a recognition budget) and as each role: never a 5xx, and a request refused with a 4xx commits
nothing."""

import re

import pytest
from flask import current_app

from market.timebank import disputes, hours, needs, recognitions, reserve
from models import db
from tests.conftest import csrf_from, login
from tests.site.test_hostile_input import HOSTILE, RULES, Writes, _send, _url
from tests.timebank.helpers import ago, bank, confirmed

TIME_BANK = [rule for rule in RULES if rule[2].startswith(("timebank.", "timebank_manage."))]


def _world(make):
    b = bank(make)
    service = confirmed(b, 120, days_ago=2)
    dispute = disputes.open_dispute(b.staff, b.home.id, service.id, "不对")
    confirmed(b, 120, days_ago=20)
    reserve.donate(b.volunteer_user, b.volunteer.id, minutes=60)
    allocation = reserve.propose(b.staff, b.home.id, b.elder.id, minutes=30, reason="x")
    request = needs.create_request(b.staff, b.home.id, b.elder.id, skill="visits", what="x",
                                   wanted_at=ago(days=-1))
    logged = hours.log_service(b.volunteer_user, b.home.id, b.volunteer.id, receiver_id=b.elder.id,
                               skill="visits", started_at=ago(hours=5), minutes=30)
    level = recognitions.set_level(b.staff, b.home.id, hours=1, what="一顿饭", value_fen=10_00)
    budget = recognitions.propose_budget(b.staff, b.home.id, amount_fen=50_00, reason="谢谢")
    values = {"home_slug": b.home.slug, "person_id": b.volunteer.id, "request_id": request.id,
              "service_id": logged.id, "dispute_id": dispute.id, "allocation_id": allocation.id,
              "recognition_id": level.id, "budget_id": budget.id}
    users = {"anonymous": None, "volunteer": b.volunteer_user, "staff": b.staff,
             "supervisor": b.supervisor, "outsider": make.member(make.home())}
    return values, users


def test_the_walk_covers_the_time_bank():
    assert len(TIME_BANK) >= 25


@pytest.mark.parametrize("rule", TIME_BANK, ids=lambda r: f"{r[1]} {r[0]}")
def test_hostile_input_never_breaks_a_time_bank_route(app, make, rule):
    path, method, _endpoint = rule
    values, users = _world(make)
    writes = Writes(db.engine)
    names = re.findall(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", path)
    problems = []
    for index, (role, user) in enumerate(users.items()):
        client = current_app.test_client()
        if user is not None:
            login(client, user)
        client.csrf = csrf_from(client, "/login" if user is None else "/")
        share = HOSTILE[index::len(users)]
        attempts = [(_url(path, values), value) for value in share]
        attempts += [(_url(path, values, name, value), "1") for name in names for value in share]
        for url, value in attempts:
            writes.reset()
            response = _send(client, method, url, value)
            shown = f"{role}: {method} {url[:80]} {value!r:.40}"
            if response.status_code >= 500:
                problems.append(f"{shown} -> {response.status_code}")
            elif response.status_code >= 400 and writes.committed:
                problems.append(f"{shown} -> {response.status_code} but wrote {writes.committed}")
    assert not problems, "\n".join(problems)
