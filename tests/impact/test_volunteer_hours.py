"""Volunteer hours on the impact page: the time bank's confirmed services, kept in the impact
summary by its confirmation and dispute hooks, shown in a chart with its table, checked by verify."""

from sqlalchemy import update

from market.impact import report
from market.impact.verify import verify_impact
from market.ledger.sums import month_of
from market.timebank import disputes
from models import db
from models.impact import ImpactSum
from tests.timebank.helpers import bank, confirmed


def _minutes(home_id, month):
    return db.session.scalar(db.select(ImpactSum.value).where(
        ImpactSum.home_id == home_id, ImpactSum.month == month, ImpactSum.measure == "volunteer_minutes"))


def test_confirmed_hours_are_counted_and_an_upheld_dispute_takes_them_back(app, make):
    b = bank(make)
    first = confirmed(b, 90, days_ago=2)
    confirmed(b, 30, days_ago=3)
    month = month_of(first.started_at)
    assert _minutes(b.home.id, month) == 120
    shown = report.home_report(b.home.id)
    assert sum(shown.volunteer_minutes) == 120 and shown.volunteer_tenths[shown.months.index(month)] == 20
    assert verify_impact().ok
    dispute = disputes.open_dispute(b.supervisor, b.home.id, first.id, "没有来")
    assert _minutes(b.home.id, month) == 120  # an open dispute takes nothing yet
    disputes.decide_dispute(b.supervisor2, b.home.id, dispute.id, uphold=True)
    db.session.expire_all()
    assert _minutes(b.home.id, month) == 30 and verify_impact().ok


def test_a_corrupted_hours_figure_is_caught_by_verify(app, make):
    b = bank(make)
    service = confirmed(b, 60, days_ago=2)
    db.session.execute(update(ImpactSum).where(ImpactSum.measure == "volunteer_minutes").values(value=600))
    db.session.commit()
    check = verify_impact()
    key = (b.home.id, month_of(service.started_at), "volunteer_minutes")
    assert f"impact_sums {key}: stored 600, recomputed 60" in check.problems


def test_the_impact_page_shows_the_hours_chart_and_table(client, make):
    b = bank(make)
    confirmed(b, 90, days_ago=2)
    page = client.get(f"/impact/{b.home.slug}").get_data(as_text=True)
    assert 'id="volunteers-title"' in page and "1.5" in page
