"""The impact summary table (`impact_sums`, `models.impact.ImpactSum`) and the per-listing review
sums (`impact_listing_reviews`).

One row per (home, local month, measure) with a count or a sum (see `models.impact.MEASURES`).
Every write that changes a figure adds its change here with one upsert (INSERT … ON CONFLICT DO
UPDATE, SQLite and PostgreSQL) in its own transaction; pages read these rows and never aggregate
the raw records. `recomputed()` builds the same figures from the raw records, which
`market.impact.verify` compares with `stored()`.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import delete, select

from market.database import insert_on_conflict
from market.impact import rollup
from market.ledger.sums import month_of
from models import Order, OrderLine, db
from models.impact import (
    ImpactSum,
    ListingReviewSum,
    Review,
    SaleSum,
    ServiceRecord,
    SurveyResponse,
)
from models.timebank import Service

SALE_KEY = ("home_id", "month", "kind", "listing_id")
SALE_VALUES = ("amount", "refunded", "quantity", "lines")


def month_of_day(day) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def bump(home_id: int, month: str, changes: dict[str, int]) -> None:
    """Add `changes` ({measure: delta}) to the home's month. Never commits."""
    changes = {measure: delta for measure, delta in changes.items() if delta}
    if not changes:
        return
    statement = insert_on_conflict(ImpactSum.__table__).values(
        [{"home_id": home_id, "month": month, "measure": m, "value": d}
         for m, d in sorted(changes.items())]
    )
    table = ImpactSum.__table__.c
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["home_id", "month", "measure"],
        set_={"value": table.value + statement.excluded.value},
    ))
    rollup.add_measures(home_id, month, changes)


def bump_listing(listing_id: int, count: int, stars: int) -> None:
    statement = insert_on_conflict(ListingReviewSum.__table__).values(
        listing_id=listing_id, count=count, stars=stars)
    table = ListingReviewSum.__table__.c
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["listing_id"],
        set_={"count": table.count + statement.excluded.count,
              "stars": table.stars + statement.excluded.stars},
    ))


def bump_sale(home_id: int, month: str, kind: str, listing_id: int, **changes: int) -> None:
    """Add `changes` (amount, refunded, quantity, lines) to one listing's month of sales."""
    values = {name: int(changes.get(name, 0)) for name in SALE_VALUES}
    statement = insert_on_conflict(SaleSum.__table__).values(
        home_id=home_id, month=month, kind=kind, listing_id=listing_id, **values)
    table = SaleSum.__table__.c
    db.session.execute(statement.on_conflict_do_update(
        index_elements=list(SALE_KEY),
        set_={name: table[name] + statement.excluded[name] for name in SALE_VALUES},
    ))
    rollup.add_sale(home_id, month, values["amount"] - values["refunded"])


# ---- stored and recomputed --------------------------------------------------------------------

def stored() -> tuple[dict[tuple, int], dict[int, tuple[int, int]]]:
    """({(home, month, measure): value}, {listing: (count, stars)}) as the tables hold them;
    zero rows are left out (a figure undone to zero equals no row)."""
    homes = {(h, m, k): int(v) for h, m, k, v in db.session.execute(
        select(ImpactSum.home_id, ImpactSum.month, ImpactSum.measure, ImpactSum.value)) if v}
    listings = {lid: (int(c), int(s)) for lid, c, s in db.session.execute(
        select(ListingReviewSum.listing_id, ListingReviewSum.count, ListingReviewSum.stars)) if c or s}
    return homes, listings


def recomputed() -> tuple[dict[tuple, int], dict[int, tuple[int, int]]]:
    """The same figures from the raw records, read once, in order."""
    figures: dict[tuple, int] = defaultdict(int)
    days: set[tuple] = set()
    elders: set[tuple] = set()
    rows = db.session.execute(select(ServiceRecord.home_id, ServiceRecord.resident_id, ServiceRecord.day,
                                     ServiceRecord.kind).execution_options(yield_per=10_000))
    for home_id, resident_id, day, kind in rows:
        month = month_of_day(day)
        figures[(home_id, month, kind)] += 1
        days.add((home_id, resident_id, day))
        elders.add((home_id, resident_id, month))
    for home_id, _resident, day in days:
        figures[(home_id, month_of_day(day), "attendance")] += 1
    for home_id, _resident, month in elders:
        figures[(home_id, month, "elders")] += 1
    for response in db.session.scalars(select(SurveyResponse)):
        figures[(response.home_id, response.month, "survey_count")] += 1
        figures[(response.home_id, response.month, "survey_points")] += response.points
    confirmed = (select(Service.home_id, Service.started_at, Service.minutes)
                 .where(Service.status == "confirmed"))
    for home_id, started_at, minutes in db.session.execute(confirmed):
        figures[(home_id, month_of(started_at), "volunteer_minutes")] += minutes
    listings: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for home_id, listing_id, stars, created_at in db.session.execute(
            select(Review.home_id, Review.listing_id, Review.stars, Review.created_at)):
        month = month_of(created_at)
        figures[(home_id, month, "review_count")] += 1
        figures[(home_id, month, "review_stars")] += stars
        listings[listing_id][0] += 1
        listings[listing_id][1] += stars
    return ({k: v for k, v in figures.items() if v},
            {lid: (c, s) for lid, (c, s) in listings.items() if c or s})


def rebuild() -> None:
    """Replace the summary rows by the recomputation (after a bulk load, e.g. the benchmark).
    Never commits."""
    homes, listings = recomputed()
    db.session.execute(delete(ImpactSum))
    db.session.execute(delete(ListingReviewSum))
    if homes:
        db.session.execute(ImpactSum.__table__.insert(), [
            {"home_id": h, "month": m, "measure": k, "value": v} for (h, m, k), v in homes.items()])
    if listings:
        db.session.execute(ListingReviewSum.__table__.insert(), [
            {"listing_id": lid, "count": c, "stars": s} for lid, (c, s) in listings.items()])
    rollup.rebuild()


def stored_sales() -> dict[tuple, tuple[int, int, int, int]]:
    table = SaleSum.__table__.c
    rows = db.session.execute(select(*(table[k] for k in SALE_KEY), *(table[v] for v in SALE_VALUES)))
    return {tuple(row[:4]): tuple(int(v) for v in row[4:]) for row in rows if any(row[4:])}


def recomputed_sales() -> dict[tuple, tuple[int, int, int, int]]:
    """Sales from the order lines of every order ever paid, by the month it was paid."""
    found: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    rows = db.session.execute(
        select(OrderLine.home_id, Order.paid_at, OrderLine.kind, OrderLine.listing_id, OrderLine.amount_fen,
               OrderLine.refunded_fen, OrderLine.quantity)
        .join(Order, Order.id == OrderLine.order_id).where(Order.paid_at.is_not(None))
        .execution_options(yield_per=10_000))
    for home_id, paid_at, kind, listing_id, amount, refunded, quantity in rows:
        value = found[(home_id, month_of(paid_at), kind, listing_id)]
        value[0] += amount
        value[1] += refunded
        value[2] += quantity
        value[3] += 1
    return {k: tuple(v) for k, v in found.items() if any(v)}


def rebuild_sales() -> None:
    db.session.execute(delete(SaleSum))
    rows = recomputed_sales()
    if rows:
        db.session.execute(SaleSum.__table__.insert(), [
            dict(zip(SALE_KEY + SALE_VALUES, key + values, strict=True)) for key, values in rows.items()])
    rollup.rebuild()
