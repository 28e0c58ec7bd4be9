"""The impact page's charts and tables, in the reader's words, from an `ImpactReport`."""

from __future__ import annotations

from functools import lru_cache

from flask import url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _

from market.i18n import is_english
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
    hours = bar_chart(
        "volunteers", _("Volunteer hours"),
        _("Bars per month: hours volunteers gave through the time bank, as confirmed by the elders "
          "or staff."),
        months, [Series(_("Volunteer hours"), report.volunteer_tenths)], _tenths)
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
    return {"inputs": [income, hours], "production": [meals, visits, cost], "outputs": [elders, attendance],
            "effects": [satisfaction, reviews]}


def kind_label(kind: str) -> str:
    return {"tour": _("Tours and workshops"), "homestay": _("Homestays"), "produce": _("Farm produce"),
            "craft": _("Handicrafts")}.get(kind, kind)


def dashboard_charts(board) -> list[Chart]:
    """The staff dashboard's charts: sales by month, the care fund's income and spending."""
    sales = bar_chart("sales", _("Sales by month (after refunds)"),
                      _("Bars per month: what buyers paid for the home's listings, less refunds."),
                      board.months, [Series(_("Sales"), board.sales)], _money, _money_tick)
    points = board.fund.series
    fund = bar_chart("fund", _("Care fund: money in and spending"),
                     _("Bars per month: money into the care fund and care spending."),
                     [p.month for p in points], [Series(_("Money in"), [p.income for p in points]),
                                                 Series(_("Spending"), [p.spending for p in points])],
                     _money, _money_tick)
    return [sales, fund]


@lru_cache(maxsize=20_000)
def _money_cell(fen: int, locale: str) -> str:
    return format_money(fen, locale=locale)


def _tenths_cell(value: int | None) -> str:
    return "—" if value is None else f"{value / 10:.1f}"


def comparison_table(rows) -> list[tuple[str, str, list[str]]]:
    """The admin comparison's rows as (link, home name, cells), written once per page view with
    one look-up of the reader's language (a template filter per cell would repeat it 300 times)."""
    locale = str(get_locale() or "zh_Hans")
    english = is_english()
    link = url_for("impact.home", home_slug="__slug__")
    table = []
    for row in rows:
        f, home = row.figures, row.home
        table.append((link.replace("__slug__", home.slug), (english and home.name_en) or home.name_zh, [
            str(f["elders"]), str(f["attendance"]), str(f["meals"]), str(f["visits"]),
            _tenths_cell(f["satisfaction"]), str(f["reviews"]), _tenths_cell(f["stars"]),
            _money_cell(f["sales"], locale), _money_cell(f["income"], locale),
            _money_cell(f["available"], locale), _tenths_cell(f["months_covered"])]))
    return table


COLUMN_LABELS = {
    "name": lambda: _("Village home"), "elders": lambda: _("Elders served this month"),
    "attendance": lambda: _("Attendance days"), "meals": lambda: _("Meals served"),
    "visits": lambda: _("Home visits"), "satisfaction": lambda: _("Satisfaction"),
    "reviews": lambda: _("Reviews"), "stars": lambda: _("Average stars"), "sales": lambda: _("Sales"),
    "income": lambda: _("Care fund income"), "available": lambda: _("Available care fund"),
    "months_covered": lambda: _("Months of care the fund covers"),
}


def column_labels() -> dict[str, str]:
    return {key: label() for key, label in COLUMN_LABELS.items()}


def csv_headers() -> list[str]:
    labels = column_labels()
    return ["slug", labels["name"]] + [labels[k] for k in list(COLUMN_LABELS)[1:]]
