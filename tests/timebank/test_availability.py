"""Matching ranks volunteers by skill, village (the 15-minute care circle) and whether they are
free at the request's time, read from the words they wrote, on the home's clock."""

from datetime import date, time

import pytest

from market import clock
from market.timebank import needs, people
from market.timebank.availability import free_at
from tests.timebank.helpers import bank

SAT_MORNING = clock.at_local(date(2026, 12, 5), time(9, 0))  # a Saturday, 09:00 in Shanghai
TUE_AFTERNOON = clock.at_local(date(2026, 12, 8), time(15, 0))  # a Tuesday, 15:00
TUE_EVENING = clock.at_local(date(2026, 12, 8), time(19, 30))


@pytest.mark.parametrize("text, moment, expected", [
    ("周末", SAT_MORNING, True), ("周末", TUE_AFTERNOON, False),
    ("工作日上午", TUE_AFTERNOON, False), ("工作日下午", TUE_AFTERNOON, True),
    ("工作日上午", SAT_MORNING, False), ("每天上午", SAT_MORNING, True),
    ("周二、周四下午", TUE_AFTERNOON, True), ("星期六上午", SAT_MORNING, True),
    ("weekday mornings, Saturday afternoon", SAT_MORNING, False),
    ("weekday mornings and Saturday morning", SAT_MORNING, True),
    ("evenings", TUE_EVENING, True), ("evenings", TUE_AFTERNOON, False),
    ("", SAT_MORNING, None), ("看情况", SAT_MORNING, None), (None, SAT_MORNING, None),
])
def test_free_at_reads_plain_words(text, moment, expected):
    assert free_at(text, moment) is expected


def test_the_hour_is_read_on_the_homes_clock():
    # 01:30 UTC on a Tuesday is 09:30 in Shanghai: a weekday morning there.
    moment = clock.at_local(date(2026, 12, 8), time(9, 30))
    assert moment.hour == 1 and free_at("工作日上午", moment) is True


def _volunteer(b, name, village, availability):
    return people.register_by_staff(b.staff, b.home.id, people.PersonInput(
        name=name, village=village, skills=["haircut"], availability=availability))


def test_an_available_volunteer_ranks_above_an_unavailable_one(app, make):
    b = bank(make)  # the elder lives in 前屯村
    busy = _volunteer(b, "甲", "前屯村", "周末")  # "甲" sorts first by name: availability must win
    free = _volunteer(b, "乙", "前屯村", "工作日下午")
    unknown = _volunteer(b, "丙", "前屯村", "")
    far_but_free = _volunteer(b, "丁", "后山村", "工作日下午")
    need = needs.create_request(b.staff, b.home.id, b.elder.id, skill="haircut", what="上门理发",
                                wanted_at=TUE_AFTERNOON, place="王奶奶家")
    assert [p.id for p in people.matches(need)] == [free.id, unknown.id, busy.id, far_but_free.id]
    weekend = needs.create_request(b.staff, b.home.id, b.elder.id, skill="haircut", what="上门理发",
                                   wanted_at=SAT_MORNING, place="王奶奶家")
    assert [p.id for p in people.matches(weekend)][:2] == [busy.id, unknown.id]
