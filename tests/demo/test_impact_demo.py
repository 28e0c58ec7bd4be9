"""The demo fills every impact chart of the three demo homes over the last 12 months, and the
figures verify (`flask demo seed` + `flask ledger verify` + `flask impact verify`)."""

from sqlalchemy import select

from market.impact import dashboards, report
from models import Home, db


def _months_with(values) -> int:
    return sum(1 for value in values if value)


def test_demo_fills_every_chart_and_verifies(app, tmp_path):
    app.config["RECEIPT_ROOT"] = str(tmp_path / "receipts")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    for command in (["ledger", "verify"], ["impact", "verify"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0 and result.output.startswith("OK"), result.output
    homes = list(db.session.scalars(select(Home).order_by(Home.id)))
    assert len(homes) == 3
    for home in homes:
        shown = report.home_report(home.id)
        every_month = [shown.attendance, shown.elders, shown.cost_per_meal, shown.satisfaction,
                       shown.services["meal"], shown.services["delivered"], shown.services["visit"],
                       shown.income["subsidies"], shown.income["donations"]]
        for series in every_month:
            assert _months_with(series) >= 11, (home.slug, series)
        for series in (shown.services["activity"], shown.review_average, shown.income["sales"]):
            assert _months_with(series) >= 10, (home.slug, series)
        assert _months_with(shown.income["collective"]) >= 3
        assert all(bps > 0 for _source, _fen, bps in shown.diversity)
        assert shown.months_covered is not None
        board = dashboards.staff_dashboard(home.id)
        assert _months_with(board.sales) >= 10 and board.top_listings and board.review_average
        assert _months_with([p.spending for p in board.fund.series]) >= 11
    rows = dashboards.comparison()
    assert all(row.figures["meals"] and row.figures["satisfaction"] for row in rows)
