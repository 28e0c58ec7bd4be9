"""`flask impact verify`: every figure the impact pages show, recomputed from the raw records.

The pages read summary tables: `impact_sums` and `impact_listing_reviews` (kept by the service
records, surveys and reviews), `impact_sales` (kept by the order hooks) and the ledger's
`ledger_care_sums` (income, spending).
Each is recomputed from its raw rows — service records, survey responses, reviews, postings —
and compared row by row; then each home's page figures are built from the recomputation and
compared with those built from the tables. Any difference is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from market.fund.public import COMMODITY
from market.impact import report, rollup, sums
from market.ledger import sums as care
from models import Home, db

MAX_SHOWN = 50


@dataclass
class ImpactCheck:
    rows: int = 0
    homes: int = 0
    waiting: int = 0  # roll-up rows of an earlier month
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _compare(name: str, stored: dict, recomputed: dict, problems: list[str]) -> None:
    for key in sorted(set(stored) | set(recomputed), key=repr):
        if stored.get(key) != recomputed.get(key):
            problems.append(f"{name} {key}: stored {stored.get(key)}, recomputed {recomputed.get(key)}")


def verify_impact(today=None) -> ImpactCheck:
    check = ImpactCheck()
    stored_homes, stored_listings = sums.stored()
    homes, listings = sums.recomputed()
    care_stored, care_recomputed = care.stored(), care.recomputed()
    check.rows = len(homes) + len(listings) + len(care_recomputed)
    _compare("impact_sums", stored_homes, homes, check.problems)
    _compare("impact_listing_reviews", stored_listings, listings, check.problems)
    _compare("ledger_care_sums", care_stored, care_recomputed, check.problems)
    sales = sums.recomputed_sales()
    check.rows += len(sales)
    _compare("impact_sales", sums.stored_sales(), sales, check.problems)
    _check_rollups(homes, sales, care_recomputed, today, check)
    months = report.chart_months(today)
    for home_id in db.session.scalars(select(Home.id).order_by(Home.id)):
        check.homes += 1
        shown = report.home_report(home_id, today)
        figures = {(m, k): v for (h, m, k), v in homes.items() if h == home_id}
        rows: dict[tuple, int] = {}
        available = 0
        for (h, month, kind, _sold, category, code, commodity), (amount, _n) in care_recomputed.items():
            if h != home_id or commodity != COMMODITY:
                continue
            if code == care.CARE_AVAILABLE:
                available -= amount
            if months[0] <= month <= months[-1]:
                rows[(month, kind, category)] = rows.get((month, kind, category), 0) + amount
        expected = report.build(months, figures, [(*k, v) for k, v in rows.items()], available)
        if shown != expected:
            for name in expected.__dataclass_fields__:
                if getattr(shown, name) != getattr(expected, name):
                    check.problems.append(f"home {home_id} page figure {name}: shown {getattr(shown, name)}, "
                                          f"recomputed {getattr(expected, name)}")
    return check


def _check_rollups(homes: dict, sales: dict, care_recomputed: dict, today, check: ImpactCheck) -> None:
    """Each roll-up row against its recomputation from the raw records for the row's own period
    (the writes keep a row of an earlier month too); rows of an earlier month are counted as
    waiting for the job (the page does not use them)."""
    current = rollup.current_period(today)
    for home_id, (period, stored_row) in sorted(rollup.stored().items()):
        if period != current:
            check.waiting += 1
        if not period:
            continue  # made by the job, not yet filled
        check.rows += 1
        expected = rollup.recomputed(home_id, period, homes, sales, care_recomputed)
        for name, value in expected.items():
            if stored_row[name] != value:
                check.problems.append(f"impact_rollups ({home_id}, {period!r}, {name!r}): "
                                      f"stored {stored_row[name]}, recomputed {value}")
