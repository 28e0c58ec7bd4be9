"""The elders' monthly satisfaction survey (the effect side).

Five questions, each answered on a face scale from 1 (very unhappy) to 5 (very happy). Staff may
fill it in with the elder (most elders have no phone). One answer per elder and month: the month
is the home's local month of the day it was given. Answers are never shown per elder: the
survey adds its count and points to the home's month in `impact_sums`, and the pages show the
month's average only when at least `report.MIN_GROUP` elders answered.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import exists, select

from market import clock
from market.impact.records import ImpactError, _locked, resident_in
from market.impact.sums import bump, month_of_day
from models import db
from models.impact import SURVEY_QUESTIONS, SurveyResponse

QUESTIONS = tuple(f"q{n}" for n in range(1, SURVEY_QUESTIONS + 1))
SCALE = (1, 2, 3, 4, 5)


def this_month() -> str:
    return month_of_day(clock.local_today())


def answered(home_id: int, month: str) -> set[int]:
    """Ids of the home's residents who answered in `month` (not what they answered)."""
    return set(db.session.scalars(select(SurveyResponse.resident_id).where(
        SurveyResponse.home_id == home_id, SurveyResponse.month == month)))


def record_survey(home_id: int, resident_id, answers: dict[str, int | None], *, helped: bool,
                  user_id: int | None) -> SurveyResponse:
    resident = resident_in(home_id, resident_id)
    if resident is None or not resident.active:
        raise ImpactError(_("No such elder in this home's list."))
    values = {}
    for question in QUESTIONS:
        value = answers.get(question)
        if value not in SCALE:
            raise ImpactError(_("Please choose a face for every question."))
        values[question] = value
    month = this_month()
    _locked(resident)
    if db.session.scalar(select(exists().where(SurveyResponse.resident_id == resident.id,
                                               SurveyResponse.month == month))):
        db.session.rollback()
        raise ImpactError(_("This elder has already answered this month. The next survey is next month."))
    response = SurveyResponse(home_id=home_id, resident_id=resident.id, month=month, helped=bool(helped),
                              recorded_by_id=user_id, **values)
    db.session.add(response)
    bump(home_id, month, {"survey_count": 1, "survey_points": sum(values.values())})
    db.session.commit()
    return response
