"""One row per home with its figures of the last 12 months (`impact_rollups`), for the admin's
comparison of all homes: the page reads one row per home instead of each home's monthly rows.

A row holds the 12 months ending at its `period` (the home's local month). Every write that
changes `impact_sums`, `impact_sales` or the care fund's `ledger_care_sums` adds its change here
too, in its own transaction: one UPDATE whose SET adds the change only `CASE WHEN period IN
(<the periods whose window holds the change's month>)`, so it is right whatever the row's
period and whatever the writer's clock says, and always takes the row's lock. When the month
rolls over the rows are out of date:
the job `impact.refresh_rollups` (market/impact/tasks.py, every 10 minutes, and every row each
night) locks each out-of-date row, recomputes it from the summary tables and sets its period.
A write waits for that lock, so its change is either in what the job read or added after it.
Until then the comparison reads out-of-date homes from the summary tables (`from_sums`): a page
view never writes. `flask impact verify` recomputes each current row from the raw records.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, insert, select, update

from market import clock
from market.fund.public import COMMODITY, last_months, month_key
from market.ledger.accounts import CARE_AVAILABLE
from models import Home, db
from models.impact import ROLLUP_FIGURES, ImpactRollup, ImpactSum, SaleSum
from models.ledger import CareSum

MONTHS = 12
RATE_MONTHS = 3  # as market.impact.report
INCOME_KINDS = ("sale", "refund", "donation", "grant")
MEASURES = ("meal", "delivered", "visit", "attendance", "survey_count", "survey_points", "review_count",
            "review_stars")
TABLE = ImpactRollup.__table__


def current_period(today: date | None = None) -> str:
    return month_key(today or clock.local_today())


def window(period: str) -> list[str]:
    return last_months(MONTHS, date(int(period[:4]), int(period[5:]), 1))


def rate_months(period: str) -> list[str]:
    return window(period)[-1 - RATE_MONTHS:-1]


# ---- kept by the writes -----------------------------------------------------------------------

def _later_months(month: str, count: int) -> list[str]:
    year, number = int(month[:4]), int(month[5:])
    found = []
    for _ in range(count):
        found.append(f"{year:04d}-{number:02d}")
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return found


def covering(month: str) -> list[str]:
    """The periods whose 12 months include `month`: that month and the 11 after it."""
    return _later_months(month, MONTHS)


def rating(month: str) -> list[str]:
    """The periods whose spending rate counts `month`: the RATE_MONTHS after it."""
    return _later_months(month, RATE_MONTHS + 1)[1:]


def _add(home_id: int, changes: list[tuple[str, int, list[str] | None]]) -> None:
    """Add each (column, delta, periods) to the home's row when the row's period is one of
    `periods` (None: whatever its period). One UPDATE, which takes the row's lock."""
    values: dict[str, object] = {}
    for name, delta, periods in changes:
        if not delta:
            continue
        term = delta if periods is None else case((TABLE.c.period.in_(periods), delta), else_=0)
        values[name] = values.get(name, TABLE.c[name]) + term
    if values:
        db.session.execute(update(TABLE).where(TABLE.c.home_id == home_id).values(values))


def add_measures(home_id: int, month: str, changes: dict[str, int]) -> None:
    """`impact_sums` changes ({measure: delta}) of the home's `month`. Never commits."""
    periods = covering(month)
    found = [(name, delta, periods) for name, delta in changes.items() if name in MEASURES]
    if changes.get("elders"):
        found.append(("elders_now", changes["elders"], [month]))
    _add(home_id, found)


def add_sale(home_id: int, month: str, net: int) -> None:
    _add(home_id, [("sales", net, covering(month))])


def add_care(rows) -> None:
    """Care-fund summary changes: (home, month, entry kind, account code, commodity, fen)."""
    by_home: dict[int, list] = {}
    for home_id, month, kind, code, commodity, amount in rows:
        if commodity != COMMODITY:
            continue
        found = by_home.setdefault(home_id, [])
        if kind in INCOME_KINDS:
            found.append(("care_income", amount, covering(month)))
        if kind == "disbursement":
            found.append(("care_spent", amount, rating(month)))
        if code == CARE_AVAILABLE:
            found.append(("care_available", amount, None))
    for home_id in sorted(by_home):
        _add(home_id, by_home[home_id])


# ---- from the summary tables ------------------------------------------------------------------

def _summed(condition, value):
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def from_sums(home_ids: list[int], period: str) -> dict[int, dict[str, int]]:
    """The rows of `home_ids` for `period`, from the monthly summary tables: one query per table."""
    if not home_ids:
        return {}
    months = window(period)
    first, last = months[0], months[-1]
    result = {home_id: dict.fromkeys(ROLLUP_FIGURES, 0) for home_id in home_ids}
    for row in db.session.execute(
            select(ImpactSum.home_id,
                   _summed((ImpactSum.month == period) & (ImpactSum.measure == "elders"), ImpactSum.value),
                   *(_summed(ImpactSum.measure == name, ImpactSum.value) for name in MEASURES))
            .where(ImpactSum.home_id.in_(home_ids), ImpactSum.month >= first, ImpactSum.month <= last)
            .group_by(ImpactSum.home_id)):
        result[row[0]].update(zip(("elders_now", *MEASURES), (int(v) for v in row[1:]), strict=True))
    for home_id, value in db.session.execute(
            select(SaleSum.home_id, func.sum(SaleSum.amount - SaleSum.refunded))
            .where(SaleSum.home_id.in_(home_ids), SaleSum.month >= first, SaleSum.month <= last)
            .group_by(SaleSum.home_id)):
        result[home_id]["sales"] = int(value or 0)
    in_year = (CareSum.month >= first) & (CareSum.month <= last)
    for home_id, income, spent, available in db.session.execute(
            select(CareSum.home_id,
                   _summed(in_year & CareSum.kind.in_(INCOME_KINDS), CareSum.amount),
                   _summed(CareSum.month.in_(rate_months(period)) & (CareSum.kind == "disbursement"),
                           CareSum.amount),
                   _summed(CareSum.code == CARE_AVAILABLE, CareSum.amount))
            .where(CareSum.commodity == COMMODITY, CareSum.home_id.in_(home_ids))
            .group_by(CareSum.home_id)):
        result[home_id].update(care_income=int(income), care_spent=int(spent), care_available=int(available))
    return result


def figures(home_ids: list[int], today: date | None = None) -> dict[int, dict[str, int]]:
    """What the comparison shows: current rows as stored, the others from the summary tables."""
    period = current_period(today)
    columns = [TABLE.c[name] for name in ROLLUP_FIGURES]
    found = {row[0]: dict(zip(ROLLUP_FIGURES, (int(v) for v in row[1:]), strict=True))
             for row in db.session.execute(select(TABLE.c.home_id, *columns)
                                           .where(TABLE.c.period == period))}
    found = {home_id: found[home_id] for home_id in home_ids if home_id in found}
    found.update(from_sums([home_id for home_id in home_ids if home_id not in found], period))
    return found


# ---- the job and a rebuild --------------------------------------------------------------------

def refresh(every_row: bool = False, today: date | None = None) -> int:
    """Bring out-of-date rows (or every row) to the current month; commits. Returns how many."""
    period = current_period(today)
    homes = list(db.session.scalars(select(Home.id).order_by(Home.id)))
    have = dict(db.session.execute(select(TABLE.c.home_id, TABLE.c.period)).all())
    missing = [home_id for home_id in homes if home_id not in have]
    if missing:  # committed first, so that writes lock them from now on
        db.session.execute(insert(TABLE), [{"home_id": h, "period": "", **dict.fromkeys(ROLLUP_FIGURES, 0)}
                                           for h in missing])
        db.session.commit()
    due = [home_id for home_id in homes if every_row or have.get(home_id) != period]
    for home_id in due:  # one home at a time, in id order: lock, read, set
        db.session.execute(update(TABLE).where(TABLE.c.home_id == home_id).values(period=TABLE.c.period))
        values = from_sums([home_id], period)[home_id]
        db.session.execute(update(TABLE).where(TABLE.c.home_id == home_id).values(period=period, **values))
        db.session.commit()
    return len(due)


def rebuild(today: date | None = None) -> None:
    """Every row recomputed from the summary tables (after a bulk load). Never commits."""
    period = current_period(today)
    homes = list(db.session.scalars(select(Home.id).order_by(Home.id)))
    db.session.execute(TABLE.delete())
    if homes:
        db.session.execute(insert(TABLE), [{"home_id": h, "period": period, **values}
                                           for h, values in from_sums(homes, period).items()])


# ---- for `flask impact verify` ----------------------------------------------------------------

def stored() -> dict[int, tuple[str, dict[str, int]]]:
    columns = [TABLE.c[name] for name in ROLLUP_FIGURES]
    return {row[0]: (row[1], dict(zip(ROLLUP_FIGURES, (int(v) for v in row[2:]), strict=True)))
            for row in db.session.execute(select(TABLE.c.home_id, TABLE.c.period, *columns))}


def recomputed(home_id: int, period: str, measures: dict[tuple, int], sales: dict[tuple, tuple],
               care: dict[tuple, tuple]) -> dict[str, int]:
    """One home's row for `period` from recomputed summaries (as `market.impact.sums.recomputed`,
    `recomputed_sales` and `market.ledger.sums.recomputed` return them)."""
    months, rate = set(window(period)), set(rate_months(period))
    row = dict.fromkeys(ROLLUP_FIGURES, 0)
    for (h, month, measure), value in measures.items():
        if h == home_id and month in months:
            if measure in MEASURES:
                row[measure] += value
            elif measure == "elders" and month == period:
                row["elders_now"] += value
    for (h, month, _kind, _listing), (amount, refunded, _q, _n) in sales.items():
        if h == home_id and month in months:
            row["sales"] += amount - refunded
    changes = [(h, month, kind, code, commodity, amount)
               for (h, month, kind, _sold, _category, code, commodity), (amount, _n) in care.items()
               if h == home_id and commodity == COMMODITY]
    for _h, month, kind, code, _commodity, amount in changes:
        if kind in INCOME_KINDS and month in months:
            row["care_income"] += amount
        if kind == "disbursement" and month in rate:
            row["care_spent"] += amount
        if code == CARE_AVAILABLE:
            row["care_available"] += amount
    return row
