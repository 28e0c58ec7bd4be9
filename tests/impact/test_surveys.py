"""The elders' satisfaction survey: five faces, once a month per elder, staff may fill it in
with the elder; public pages show a month's average only, never one elder's answers."""

import re

import pytest
from sqlalchemy import func, select

from market.impact import records, report, surveys
from market.impact.records import ImpactError
from market.impact.sums import recomputed, stored
from models import db
from models.impact import SurveyResponse
from tests.conftest import login, post_form

ALL_FIVE = {"q1": 5, "q2": 5, "q3": 4, "q4": 4, "q5": 5}


def responses() -> int:
    return db.session.scalar(select(func.count()).select_from(SurveyResponse))


def test_once_a_month_per_elder(app, make):
    home = make.home()
    wang = records.add_resident(home.id, "王奶奶")
    surveys.record_survey(home.id, wang.id, ALL_FIVE, helped=True, user_id=None)
    with pytest.raises(ImpactError):
        surveys.record_survey(home.id, wang.id, ALL_FIVE, helped=True, user_id=None)
    assert responses() == 1
    month = surveys.this_month()
    assert stored()[0] == {(home.id, month, "survey_count"): 1, (home.id, month, "survey_points"): 23}
    assert stored() == recomputed()


@pytest.mark.parametrize("answers", [{}, {**ALL_FIVE, "q3": 0}, {**ALL_FIVE, "q5": 6},
                                     {**ALL_FIVE, "q1": None},
                                     {**ALL_FIVE, "q2": "5"}])
def test_every_question_needs_a_face(app, make, answers):
    home = make.home()
    wang = records.add_resident(home.id, "王奶奶")
    with pytest.raises(ImpactError):
        surveys.record_survey(home.id, wang.id, answers, helped=True, user_id=None)
    assert responses() == 0 and stored() == ({}, {})


def test_another_homes_elder_is_refused(app, make):
    home, other = make.home(), make.home()
    wang = records.add_resident(home.id, "王奶奶")
    with pytest.raises(ImpactError):
        surveys.record_survey(other.id, wang.id, ALL_FIVE, helped=True, user_id=None)


def _survey(home):
    return f"/manage/{home.slug}/impact/survey"


def test_staff_fill_in_the_survey_with_the_elder(client, make):
    home = make.home()
    wang = records.add_resident(home.id, "王奶奶")
    login(client, make.member(home, "staff"))
    page = client.get(f"{_survey(home)}?resident={wang.id}").get_data(as_text=True)
    assert page.count('type="radio"') == 25 and page.count('class="face-icon"') == 25
    answers = {"resident": wang.id, **ALL_FIVE, "helped": "y"}
    response = post_form(client, _survey(home), answers, form_url=f"{_survey(home)}?resident={wang.id}")
    assert response.status_code == 302 and responses() == 1
    listing = client.get(_survey(home)).get_data(as_text=True)
    assert "王奶奶" in listing and "Start the survey" not in listing and "本月已回答" in listing
    again = post_form(client, _survey(home), answers, form_url=_survey(home))
    assert again.status_code == 400 and responses() == 1
    missing = post_form(client, _survey(home), {"resident": wang.id, "q1": "5"}, form_url=_survey(home))
    assert missing.status_code == 400


def test_supervisors_and_other_homes_cannot_answer(client, make):
    home, other = make.home(), make.home()
    wang = records.add_resident(home.id, "王奶奶")
    login(client, make.member(other, "staff"))
    assert client.get(_survey(home)).status_code == 404
    response = post_form(client, _survey(other), {"resident": wang.id, **ALL_FIVE}, form_url=_survey(other))
    assert response.status_code == 400 and responses() == 0


def _satisfaction_cells(page: str) -> dict[str, str]:
    """{month: the cell} of the satisfaction chart's table."""
    part = page[page.index('id="satisfaction-title"'):]
    part = part[:part.index("</details>")]
    return dict(re.findall(r'<th scope="row">(\d{4}-\d{2})</th><td class="num">([^<]*)</td>', part))


def test_answers_never_appear_per_elder_on_public_pages(client, make):
    home = make.home()
    people = [records.add_resident(home.id, name) for name in ("王奶奶", "李爷爷", "张奶奶")]
    # Two elders answered: too few for an average that would not reveal them.
    surveys.record_survey(home.id, people[0].id, {q: 1 for q in surveys.QUESTIONS}, helped=True, user_id=None)
    surveys.record_survey(home.id, people[1].id, {q: 5 for q in surveys.QUESTIONS}, helped=False,
                          user_id=None)
    assert report.home_report(home.id).satisfaction[-1] is None
    pages = [client.get(url).get_data(as_text=True)
             for url in (f"/impact/{home.slug}", f"/homes/{home.slug}", f"/fund/{home.slug}")]
    month = surveys.this_month()
    for page in pages:
        for person in people:
            assert person.name not in page
    cells = _satisfaction_cells(pages[0])
    assert cells[month] == "—" and set(cells.values()) == {"—"}
    # With a third answer the month's average (of everyone) is shown, still without names.
    surveys.record_survey(home.id, people[2].id, {q: 3 for q in surveys.QUESTIONS}, helped=True, user_id=None)
    assert report.home_report(home.id).satisfaction[-1] == 30
    impact_page = client.get(f"/impact/{home.slug}").get_data(as_text=True)
    assert _satisfaction_cells(impact_page)[month] == "3.0"
    for person in people:
        assert person.name not in impact_page
