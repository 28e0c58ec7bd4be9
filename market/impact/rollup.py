"""One row per home with its figures of the last 12 months (`impact_rollups`), for the admin's
comparison of all homes: the page reads one row per home instead of each home's monthly rows.

A row holds the 12 months ending at its `period` (the home's local month). While `period` is
the current month, every write that changes `impact_sums`, `impact_sales` or the care fund's
`ledger_care_sums` adds its change here too, in its own transaction: one UPDATE whose SET adds
the change only `CASE WHEN period = <current month>` (so a row of an earlier month is never
half-moved), always taking the row's lock. When the month rolls over the rows are out of date:
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

def _add(home_id: int, period: str, changes: dict[str, int]) -> None:
    changes = {name: int(delta) for name, delta in changes.items() if delta}
    if not changes:
        return
    fresh = TABLE.c.period == period
    db.session.execute(update(TABLE).where(TABLE.c.home_id == home_id).values(
        {name: TABLE.c[name] + case((fresh, delta), else_=0) for name, delta in changes.items()}))


def add_measures(home_id: int, month: str, changes: dict[str, int]) -> None:
    """`impact_sums` changes ({measure: delta}) of the home's `month`. Never commits."""
    period = current_period()
    if month not in window(period):
        return
    found = {name: delta for name, delta in changes.items() if name in MEASURES}
    if month == period and changes.get("elders"):
        found["elders_now"] = changes["elders"]
    _add(home_id, period, found)


def add_sale(home_id: int, month: str, net: int) -> None:
    period = current_period()
    if month in window(period):
        _add(home_id, period, {"sales": net})


def add_care(rows) -> None:
    """Care-fund summary changes: (home, month, entry kind, account code, commodity, fen)."""
    period = current_period()
    months, rate = window(period), rate_months(period)
    by_home: dict[int, dict[str, int]] = {}
    for home_id, month, kind, code, commodity, amount in rows:
        if commodity != COMMODITY:
            continue
        found = by_home.setdefault(home_id, {"care_income": 0, "care_spent": 0, "care_available": 0})
        if kind in INCOME_KINDS and month in months:
            found["care_income"] += amount
        if kind == "disbursement" and month in rate:
            found["care_spent"] += amount
        if code == CARE_AVAILABLE:
            found["care_available"] += amount
    for home_id in sorted(by_home):
        _add(home_id, period, by_home[home_id])


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
