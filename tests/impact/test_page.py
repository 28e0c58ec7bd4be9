"""The public impact page: figures from the summary tables, charts with axes and tables, no
elder named; `flask impact verify` recomputes every figure and catches a corrupted row."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from market import clock
from market.fund.public import last_months
from market.impact import records, report
from market.impact.verify import verify_impact
from market.ledger import fund_entries
from models import db
from models.impact import ImpactSum

TODAY = clock.local_today()
MONTHS = last_months(5, TODAY)


def _moment(month: str, day: int = 10) -> datetime:
    return datetime(int(month[:4]), int(month[5:]), day, 4, tzinfo=UTC)


def _day(month: str, day: int = 10) -> date:
    return min(date(int(month[:4]), int(month[5:]), day), TODAY)


def _home_with_history(make):
    home = make.home()
    people = [records.add_resident(home.id, name) for name in ("王奶奶", "李爷爷", "张奶奶")]
    this, last = MONTHS[-1], MONTHS[-2]
    for person in people:
        records.record_service(home.id, person.id, _day(last, 3), "meal", None)
        records.record_service(home.id, person.id, _day(last, 4), "meal", None)
    records.record_service(home.id, people[0].id, _day(last, 4), "delivered", None)
    records.record_service(home.id, people[1].id, _day(this, 1), "visit", None)
    fund_entries.post_grant(home_id=home.id, amount_fen=600_00, grant_id=1, source="township", memo="g",
                              occurred_at=_moment(MONTHS[0]))
    fund_entries.post_grant(home_id=home.id, amount_fen=300_00, grant_id=2, source="village_collective",
                              memo="c", occurred_at=_moment(MONTHS[0]))
    fund_entries.post_donation(home_id=home.id, amount_fen=100_00, donation_id=1, memo="d",
                                 occurred_at=_moment(MONTHS[1]))
    # 70 yuan on meals last month: 7 meals served, 10 yuan a meal; 30 yuan a month over 3 months.
    fund_entries.post_disbursement(home_id=home.id, amount_fen=70_00, disbursement_id=1, category="meals",
                                     memo="m", occurred_at=_moment(last, 20))
    fund_entries.post_disbursement(home_id=home.id, amount_fen=20_00, disbursement_id=2,
                                     category="activities", memo="a", occurred_at=_moment(MONTHS[-3], 20))
    db.session.commit()
    return home


def test_report_figures_come_out_right(app, make):
    home = _home_with_history(make)
    shown = report.home_report(home.id)
    last = -2
    assert shown.services["meal"][last] == 6 and shown.services["delivered"][last] == 1
    assert shown.attendance[last] == 6 and shown.elders[last] == 3
    assert shown.elders[-1] == 1 and shown.services["visit"][-1] == 1
    assert shown.cost_per_meal[last] == 10_00 and shown.cost_per_meal[-1] is None
    assert [(s, fen) for s, fen, _bps in shown.diversity] == [
        ("sales", 0), ("donations", 100_00), ("subsidies", 600_00), ("collective", 300_00)]
    assert [bps for _s, _f, bps in shown.diversity] == [0, 1000, 6000, 3000]
    assert shown.available == 1000_00 - 90_00
    assert shown.spending_rate == 30_00  # (70 + 20) / 3 full months
    assert shown.months_covered == 303  # 910 / 30 = 30.3 months


def test_the_public_page_has_charts_with_axes_and_tables_and_no_names(client, make):
    home = _home_with_history(make)
    response = client.get(f"/impact/{home.slug}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count("<svg viewBox") == 9 and page.count("<table class=\"impact-table\">") == 9
    assert page.count("<caption>") >= 8 and "<script>" not in page and "style=" not in page
    for name in ("王奶奶", "李爷爷", "张奶奶"):
        assert name not in page
    assert "30.3" in page  # months of care the fund covers
    assert client.get("/impact/no-such-home").status_code == 404


def test_charts_axes_round_steps():
    from market.impact.charts import Series, bar_chart, nice_step

    assert [nice_step(n) for n in (1, 5, 6, 11, 49, 51, 999, 1001)] == [1, 1, 2, 5, 10, 20, 200, 500]
    chart = bar_chart("x", "t", "d", ["2026-01", "2026-02"], [Series("a", [3, 17])], str)
    assert [label for _y, label in chart.ticks] == ["0", "5", "10", "15", "20"]
    assert chart.bars[1].height > chart.bars[0].height and chart.labels[0][2] == "2026"


def test_verify_passes_then_catches_a_corrupted_summary_row(app, make):
    home = _home_with_history(make)
    assert verify_impact().ok
    last = MONTHS[-2]
    db.session.execute(update(ImpactSum).where(ImpactSum.home_id == home.id, ImpactSum.month == last,
                                               ImpactSum.measure == "meal").values(value=60))
    db.session.commit()
    check = verify_impact()
    assert not check.ok
    expected = f"impact_sums ({home.id}, '{last}', 'meal'): stored 60, recomputed 6"
    assert any(expected in p for p in check.problems)
    assert any("page figure services" in p for p in check.problems)


def test_verify_catches_a_missing_row_and_the_cli_exits_1(app, make):
    home = _home_with_history(make)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["impact", "verify"])
    assert result.exit_code == 0 and result.output.startswith("OK")
    row = db.session.scalar(select(ImpactSum).limit(1)
                            .where(ImpactSum.home_id == home.id, ImpactSum.measure == "elders"))
    db.session.delete(row)
    db.session.commit()
    result = runner.invoke(args=["impact", "verify"])
    assert result.exit_code == 1 and "recomputed" in result.output


def test_old_months_fall_off_the_page(app, make):
    home = make.home()
    person = records.add_resident(home.id, "王奶奶")
    records.record_service(home.id, person.id, TODAY - timedelta(days=400), "meal", None)
    shown = report.home_report(home.id)
    assert sum(shown.services["meal"]) == 0 and verify_impact().ok
