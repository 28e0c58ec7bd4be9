"""The figures of a home's impact page, month by month: input → production → output → effect.

- Inputs: care-fund income by source (sales' care shares, donations, subsidies, the village
  collective), from the care-fund summary table (`ledger_care_sums`); volunteer hours given
  through the time bank (confirmed services by the month they were given, less any taken back
  by an upheld dispute).
- Production: meals at the table, meals delivered, visits, activities; the cost of a meal (the
  care fund's "meals" spending of the month over the meals served).
- Outputs: elders served and attendance days.
- Effects: the elders' satisfaction (monthly average of the survey answers, shown only when
  at least MIN_GROUP elders answered, so that no one's answers can be told apart) and the
  buyers' review average.
- Funding diversity (shares of the last 12 months' income) and sustainability (months of care
  the available fund covers at the average spending of the last 3 full months).

`build()` is a pure function of the summary rows; `home_report()` reads them (a few hundred
rows of two summary tables, never the raw records) and `market.impact.verify` builds the same
from a recomputation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from sqlalchemy import select

from market import clock
from market.fund.public import care_balances, care_sums, last_months
from market.ledger.allocation import _largest_remainder
from models import db
from models.impact import SERVICE_KINDS, ImpactSum
from models.ledger import CareSum

MONTHS = 12
RATE_MONTHS = 3
MIN_GROUP = 3  # fewest survey answers in a month before its average is shown
SOURCES = ("sales", "donations", "subsidies", "collective")
COLLECTIVE = "village_collective"


def source_of(kind: str, category: str) -> str | None:
    if kind in ("sale", "refund"):
        return "sales"
    if kind == "donation":
        return "donations"
    if kind == "grant":
        return "collective" if category == COLLECTIVE else "subsidies"
    return None


@dataclass
class ImpactReport:
    months: list[str]
    income: dict[str, list[int]]  # source -> fen per month
    services: dict[str, list[int]]  # kind -> count per month
    attendance: list[int]
    elders: list[int]
    meal_spending: list[int]  # fen of "meals" care spending per month
    cost_per_meal: list[int | None]  # fen, None with no meals
    satisfaction: list[int | None]  # tenths of a point on the 1–5 scale, None below MIN_GROUP
    survey_answers: list[int]
    review_average: list[int | None]  # tenths of a star
    review_counts: list[int]
    review_stars: list[int]
    diversity: list[tuple[str, int, int]] = field(default_factory=list)  # (source, fen, bps)
    available: int = 0
    spending_rate: int = 0  # fen per month, average of the last RATE_MONTHS full months
    months_covered: int | None = None  # tenths of a month; None when nothing was spent
    volunteer_minutes: list[int] = field(default_factory=list)  # time-bank services confirmed

    @property
    def volunteer_tenths(self) -> list[int]:
        """Volunteer hours per month in tenths of an hour (rounded half up), for the chart."""
        return [(minutes + 3) // 6 for minutes in self.volunteer_minutes]

    @property
    def volunteer_hours_total(self) -> int:
        return (sum(self.volunteer_minutes) + 3) // 6  # tenths

    @property
    def income_total(self) -> int:
        return sum(fen for _s, fen, _b in self.diversity)

    @property
    def reviews_total(self) -> int:
        return sum(self.review_counts)

    @property
    def elders_latest(self) -> int:
        return self.elders[-1] if self.elders else 0


def _tenths(numerator: int, denominator: int) -> int | None:
    if denominator <= 0:
        return None
    return (numerator * 10 * 2 + denominator) // (denominator * 2)  # rounded half up


def build(months: list[str], figures: dict[tuple[str, str], int], care_rows: list[tuple],
          available: int) -> ImpactReport:
    """The report from {(month, measure): value} and care-fund rows (month, kind, category, sum
    of care-fund postings, debit positive) of the home; `months` are the chart's months, the
    last one the current month."""
    def series(measure):
        return [figures.get((m, measure), 0) for m in months]

    index = {m: i for i, m in enumerate(months)}
    income = {s: [0] * len(months) for s in SOURCES}
    meals_spent = [0] * len(months)
    spent_by_month: dict[str, int] = {}
    for month, kind, category, amount in care_rows:
        source = source_of(kind, category)
        if source is not None and month in index:
            income[source][index[month]] += -amount  # care-fund accounts are credit-normal
        elif kind == "disbursement":
            spent_by_month[month] = spent_by_month.get(month, 0) + amount
            if category == "meals" and month in index:
                meals_spent[index[month]] += amount
    services = {kind: series(kind) for kind in SERVICE_KINDS}
    meals = [a + b for a, b in zip(services["meal"], services["delivered"], strict=True)]
    counts, points = series("survey_count"), series("survey_points")
    review_counts, stars = series("review_count"), series("review_stars")
    report = ImpactReport(
        months=months, income=income, services=services, attendance=series("attendance"),
        elders=series("elders"), meal_spending=meals_spent,
        cost_per_meal=[(spent + n // 2) // n if n else None
                       for spent, n in zip(meals_spent, meals, strict=True)],
        satisfaction=[_tenths(p, c * 5) if c >= MIN_GROUP else None
                      for p, c in zip(points, counts, strict=True)],
        survey_answers=counts,
        review_average=[_tenths(s, c) for s, c in zip(stars, review_counts, strict=True)],
        review_counts=review_counts, review_stars=stars, available=available,
        volunteer_minutes=series("volunteer_minutes"),
    )
    totals = {s: max(0, sum(income[s])) for s in SOURCES}
    whole = sum(totals.values())
    if whole:
        shares = _largest_remainder(10000, {s: Fraction(totals[s] * 10000, whole) for s in SOURCES})
        report.diversity = [(s, totals[s], shares[s]) for s in SOURCES]
    full_months = months[-1 - RATE_MONTHS:-1]
    report.spending_rate = sum(spent_by_month.get(m, 0) for m in full_months) // RATE_MONTHS
    if report.spending_rate > 0:
        report.months_covered = max(0, available) * 10 // report.spending_rate
    return report


# ---- reading the summary tables -----------------------------------------------------------------

def chart_months(today: date | None = None, count: int = MONTHS) -> list[str]:
    return last_months(count, today or clock.local_today())


def stored_figures(home_id: int, months: list[str]) -> dict[tuple[str, str], int]:
    rows = db.session.execute(select(ImpactSum.month, ImpactSum.measure, ImpactSum.value).where(
        ImpactSum.home_id == home_id, ImpactSum.month >= months[0], ImpactSum.month <= months[-1]))
    return {(month, measure): int(value) for month, measure, value in rows}


def stored_care_rows(home_id: int, months: list[str]) -> list[tuple]:
    return care_sums(home_id, CareSum.month, CareSum.kind, CareSum.category,
                     where=(CareSum.month >= months[0], CareSum.month <= months[-1]))


def home_report(home_id: int, today: date | None = None) -> ImpactReport:
    months = chart_months(today)
    _pending, available = care_balances(home_id)
    return build(months, stored_figures(home_id, months), stored_care_rows(home_id, months), available)
