"""The homes' roll-up (one row per home) behind the admin comparison: kept by the writes, equal
to the summary tables, brought to a new month by the job (never by a page view), checked by verify."""

from datetime import timedelta

from sqlalchemy import update

from market import clock
from market.impact import dashboards, records, rollup, surveys
from market.impact.verify import verify_impact
from market.ledger import fund_entries
from models import db
from models.impact import ImpactRollup
from tests.impact.test_dashboards import _sale


def _row(home_id):
    db.session.expire_all()
    return db.session.get(ImpactRollup, home_id)


def test_the_writes_keep_the_row_equal_to_the_summary_tables(app, make):
    home = make.home()
    assert rollup.refresh() >= 1  # the job makes the new home's row
    row = _row(home.id)
    assert row.period == rollup.current_period() and row.meal == 0
    person = records.add_resident(home.id, "老人")
    today = clock.local_today()
    records.record_service(home.id, person.id, today, "meal", None)
    records.record_service(home.id, person.id, today - timedelta(days=40), "visit", None)
    records.record_service(home.id, person.id, today - timedelta(days=400), "meal", None)  # outside the year
    surveys.record_survey(home.id, person.id, {q: 4 for q in surveys.QUESTIONS}, helped=True, user_id=None)
    fund_entries.post_grant(home_id=home.id, amount_fen=900_00, grant_id=1, source="township", memo="g")
    db.session.commit()
    _sale(make, home, make.user())
    row = _row(home.id)
    assert (row.meal, row.visit, row.attendance, row.elders_now) == (1, 1, 2, 1)
    assert (row.survey_count, row.survey_points, row.sales) == (1, 20, 100_00)
    assert row.care_income < -900_00 and row.care_available <= -900_00
    expected = rollup.from_sums([home.id], rollup.current_period())[home.id]
    assert {name: getattr(row, name) for name in expected} == expected
    records.remove_service(home.id, person.id, today, "meal")  # a tap undone
    assert _row(home.id).meal == 0 and _row(home.id).elders_now == 0 and _row(home.id).visit == 1
    assert verify_impact().ok


def test_the_comparison_reads_the_rows_and_equals_the_slow_way(app, make, monkeypatch):
    home = make.home()
    person = records.add_resident(home.id, "老人")
    records.record_service(home.id, person.id, clock.local_today(), "meal", None)
    db.session.commit()
    slow = {r.home.id: r.figures for r in dashboards.comparison()}  # no row yet: from the sums
    rollup.refresh()
    rollup_reads = []
    original = rollup.from_sums
    monkeypatch.setattr(rollup, "from_sums",
                        lambda ids, period: rollup_reads.append(ids) or original(ids, period))
    fast = {r.home.id: r.figures for r in dashboards.comparison()}
    assert fast == slow and fast[home.id]["meals"] == 1
    assert rollup_reads == [[]]  # every home from its row


def test_a_row_of_last_month_is_not_used_nor_moved_and_the_job_brings_it_up(app, make, monkeypatch):
    home = make.home()
    person = records.add_resident(home.id, "老人")
    records.record_service(home.id, person.id, clock.local_today(), "meal", None)
    rollup.refresh()
    # A month later: the row is of last month; a write does not touch it, the page does not use it.
    later = clock.now() + timedelta(days=32)
    monkeypatch.setattr(clock, "now", lambda: later)
    records.record_service(home.id, person.id, clock.local_today(), "meal", None)
    db.session.commit()
    row = _row(home.id)
    assert row.period != rollup.current_period() and row.meal == 1 and row.elders_now == 1
    [shown] = [r for r in dashboards.comparison() if r.home.id == home.id]
    assert shown.figures["meals"] == 2 and shown.figures["elders"] == 1
    assert _row(home.id).period == row.period  # the page view wrote nothing
    assert verify_impact().ok  # a row of an earlier month is not shown, so not a difference
    assert rollup.refresh() >= 1
    row = _row(home.id)
    assert row.period == rollup.current_period() and row.meal == 2 and verify_impact().ok
    assert rollup.refresh() == 0  # nothing left to do


def test_verify_catches_a_corrupted_roll_up_row(app, make):
    home = make.home()
    person = records.add_resident(home.id, "老人")
    records.record_service(home.id, person.id, clock.local_today(), "meal", None)
    rollup.refresh()
    assert verify_impact().ok
    db.session.execute(update(ImpactRollup).where(ImpactRollup.home_id == home.id).values(meal=60))
    db.session.commit()
    check = verify_impact()
    assert not check.ok
    assert any(p.startswith(f"impact_rollups ({home.id}, ") and "'meal'" in p
               and "stored 60, recomputed 1" in p for p in check.problems)


def test_flask_impact_rollup_and_verify_commands(app, make):
    home = make.home()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["impact", "rollup"])
    assert result.exit_code == 0 and "roll-up" in result.output
    db.session.execute(update(ImpactRollup).where(ImpactRollup.home_id == home.id).values(sales=5))
    db.session.commit()
    result = runner.invoke(args=["impact", "verify"])
    assert result.exit_code == 1 and "impact_rollups" in result.output
