"""The impact page's charts and tables, in the reader's words, from an `ImpactReport`."""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _

from market.impact.charts import Chart, Series, bar_chart
from market.impact.report import ImpactReport
from market.money import format_money


def _money(fen: int | None) -> str:
    return "—" if fen is None else format_money(fen, trim=True)


def _money_tick(fen: int) -> str:
    return format_money(fen, trim=True)


def _count(value: int | None) -> str:
    return "—" if value is None else format_decimal(value)


def _tenths(value: int | None) -> str:
    return "—" if value is None else format_decimal(value / 10, format="0.0")


def source_label(source: str) -> str:
    return {"sales": _("Sales (the care fund's share)"), "donations": _("Donations"),
            "subsidies": _("Government and other subsidies"), "collective": _("Village collective")}[source]


def charts(report: ImpactReport) -> dict[str, list[Chart]]:
    """The charts of the four parts of the page: inputs, production, outputs, effects."""
    months = report.months
    income = bar_chart(
        "income", _("Money in to the care fund, by source"),
        _("Bars per month for each source of the care fund's income; the same figures are in the table."),
        months, [Series(source_label(s), report.income[s]) for s in report.income], _money, _money_tick)
    meals = bar_chart(
        "meals", _("Meals served"), _("Bars per month: meals at the dining table and meals delivered."),
        months, [Series(_("At the table"), report.services["meal"]),
                 Series(_("Delivered"), report.services["delivered"])], _count)
    visits = bar_chart(
        "visits", _("Visits and activities"), _("Bars per month: home visits and activities joined."),
        months, [Series(_("Home visits"), report.services["visit"]),
                 Series(_("Activities"), report.services["activity"])], _count)
    cost = bar_chart(
        "cost", _("Cost of a meal"),
        _("The care fund's spending on meals in the month divided by the meals served."),
        months, [Series(_("Cost of a meal"), report.cost_per_meal)], _money, _money_tick)
    elders = bar_chart(
        "elders", _("Elders served"), _("Bars per month: the number of different elders served."),
        months, [Series(_("Elders served"), report.elders)], _count)
    attendance = bar_chart(
        "attendance", _("Attendance days"),
        _("Bars per month: days on which an elder was served, added up over all elders."),
        months, [Series(_("Attendance days"), report.attendance)], _count)
    satisfaction = bar_chart(
        "satisfaction", _("Elders' satisfaction (1 to 5)"),
        _("The average answer of the month's surveys, from 1 (very unhappy) to 5 (very happy); "
          "shown only when at least 3 elders answered."),
        months, [Series(_("Satisfaction"), report.satisfaction)], _tenths, top=50)
    reviews = bar_chart(
        "reviews", _("Buyers' reviews (stars)"), _("The average stars of the month's reviews, 1 to 5."),
        months, [Series(_("Average stars"), report.review_average)], _tenths, top=50)
    return {"inputs": [income], "production": [meals, visits, cost], "outputs": [elders, attendance],
            "effects": [satisfaction, reviews]}
