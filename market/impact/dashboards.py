"""The dashboards: a home's staff and committee, and the platform admin's side-by-side view.

Sales come from `impact_sales`, the care fund from `ledger_care_sums`, services, satisfaction
and reviews from `impact_sums`: summary tables only. Occupancy looks forward (this month and
the next two) at the home's own tour sessions and room-nights, a few dozen rows.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from market import clock
from market.fund import public as fund_public
from market.impact import report, rollup
from models import Correction, Home, Listing, Room, RoomNight, TourSession, db
from models.impact import SaleSum

OCCUPANCY_MONTHS = 3
TOP_LISTINGS = 10


@dataclass
class Occupancy:
    month: str
    seats_sold: int = 0
    seats: int = 0
    nights_sold: int = 0
    nights: int = 0

    @property
    def seats_bps(self) -> int | None:
        return self.seats_sold * 10000 // self.seats if self.seats else None

    @property
    def nights_bps(self) -> int | None:
        return self.nights_sold * 10000 // self.nights if self.nights else None


@dataclass
class StaffDashboard:
    months: list[str]
    sales: list[int]  # net fen per month
    sales_by_kind: dict[str, int]
    top_listings: list[tuple[Listing, int, int]]  # (listing, net fen, quantity)
    occupancy: list[Occupancy]
    fund: fund_public.FundSummary
    impact: report.ImpactReport
    review_average: int | None  # tenths, over the months shown
    reviews: int = 0


def _month_bounds(month: str) -> tuple[date, date]:
    first = date(int(month[:4]), int(month[5:]), 1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, following


def occupancy(home_id: int, today: date) -> list[Occupancy]:
    first = today.replace(day=1)
    result = []
    for _ in range(OCCUPANCY_MONTHS):
        month = fund_public.month_key(first)
        start, end = _month_bounds(month)
        row = Occupancy(month)
        seats = db.session.execute(
            select(func.coalesce(func.sum(TourSession.reserved), 0),
                   func.coalesce(func.sum(TourSession.capacity), 0))
            .join(Listing, Listing.id == TourSession.listing_id)
            .where(Listing.home_id == home_id, Listing.status == "published",
                   TourSession.starts_at >= clock.start_of_day(start),
                   TourSession.starts_at < clock.start_of_day(end))
        ).one()
        row.seats_sold, row.seats = int(seats[0]), int(seats[1])
        rooms = db.session.scalar(select(func.count(Room.id)).join(Listing, Listing.id == Room.listing_id)
                                  .where(Listing.home_id == home_id, Listing.status == "published",
                                         Room.active.is_(True)))
        row.nights = int(rooms or 0) * (end - start).days
        row.nights_sold = int(db.session.scalar(
            select(func.count(RoomNight.id)).join(Room, Room.id == RoomNight.room_id)
            .join(Listing, Listing.id == Room.listing_id)
            .where(Listing.home_id == home_id, RoomNight.night >= start, RoomNight.night < end,
                   RoomNight.order_line_id.is_not(None))) or 0)  # blocked nights are not sold
        result.append(row)
        first = end
    return result


def staff_dashboard(home_id: int, today: date | None = None) -> StaffDashboard:
    today = today or clock.local_today()
    months = report.chart_months(today)
    index = {m: i for i, m in enumerate(months)}
    sales = [0] * len(months)
    by_kind: dict[str, int] = defaultdict(int)
    by_listing: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    rows = db.session.execute(
        select(SaleSum.month, SaleSum.kind, SaleSum.listing_id, SaleSum.amount - SaleSum.refunded,
               SaleSum.quantity)
        .where(SaleSum.home_id == home_id, SaleSum.month >= months[0], SaleSum.month <= months[-1]))
    for month, kind, listing_id, net, quantity in rows:
        sales[index[month]] += int(net)
        by_kind[kind] += int(net)
        by_listing[listing_id][0] += int(net)
        by_listing[listing_id][1] += int(quantity)
    top = sorted(by_listing.items(), key=lambda item: (-item[1][0], item[0]))[:TOP_LISTINGS]
    ids = [k for k, _v in top]
    listings = {row.id: row for row in db.session.scalars(select(Listing).where(Listing.id.in_(ids)))}
    impact = report.home_report(home_id, today)
    stars, count = sum(impact.review_stars), impact.reviews_total
    return StaffDashboard(
        months=months, sales=sales, sales_by_kind=dict(by_kind),
        top_listings=[(listings[k], v[0], v[1]) for k, v in top if k in listings],
        occupancy=occupancy(home_id, today), fund=fund_public.summary(home_id), impact=impact,
        review_average=report._tenths(stars, count), reviews=count,
    )


# ---- the admin's comparison -------------------------------------------------------------------------

COLUMNS = ("name", "elders", "attendance", "meals", "visits", "satisfaction", "reviews", "stars", "sales",
           "income", "available", "months_covered")


@dataclass
class HomeRow:
    home: Home  # or a row of its id, slug, name_zh and name_en
    figures: dict[str, int | None] = field(default_factory=dict)


def comparison(today: date | None = None, sort: str = "name", descending: bool = False) -> list[HomeRow]:
    """Every active home with its figures of the last 12 months: one roll-up row per home
    (market/impact/rollup.py); a home whose row is not yet of this month from the summary tables."""
    homes = db.session.execute(select(Home.id, Home.slug, Home.name_zh, Home.name_en)
                               .where(Home.status == "active").order_by(Home.id)).all()
    found = rollup.figures([home.id for home in homes], today)
    rows = []
    for home in homes:
        m = found[home.id]
        fund = -m["care_available"]
        rate = m["care_spent"] // report.RATE_MONTHS
        rows.append(HomeRow(home, {
            "elders": m["elders_now"],
            "attendance": m["attendance"],
            "meals": m["meal"] + m["delivered"],
            "visits": m["visit"],
            "satisfaction": report._tenths(m["survey_points"], m["survey_count"] * 5)
            if m["survey_count"] >= report.MIN_GROUP else None,
            "reviews": m["review_count"],
            "stars": report._tenths(m["review_stars"], m["review_count"]),
            "sales": m["sales"],
            "income": -m["care_income"],
            "available": fund,
            "months_covered": max(0, fund) * 10 // rate if rate > 0 else None,
        }))
    return sort_rows(rows, sort, descending)


def sort_rows(rows: list[HomeRow], sort: str, descending: bool) -> list[HomeRow]:
    if sort not in COLUMNS:
        sort = "name"
    if sort == "name":
        return sorted(rows, key=lambda r: (r.home.name_zh, r.home.id), reverse=descending)
    present = [r for r in rows if r.figures[sort] is not None]
    missing = [r for r in rows if r.figures[sort] is None]  # always last
    return sorted(present, key=lambda r: (r.figures[sort], -r.home.id if descending else r.home.id),
                  reverse=descending) + missing


def comparison_csv(rows: list[HomeRow], headers: list[str]) -> bytes:
    """UTF-8 with a BOM, so that Excel on Chinese Windows opens it in the right characters."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        f = row.figures
        writer.writerow([
            row.home.slug, row.home.name_zh, f["elders"], f["attendance"], f["meals"], f["visits"],
            "" if f["satisfaction"] is None else f"{f['satisfaction'] / 10:.1f}", f["reviews"],
            "" if f["stars"] is None else f"{f['stars'] / 10:.1f}",
            f"{f['sales'] / 100:.2f}", f"{f['income'] / 100:.2f}", f"{f['available'] / 100:.2f}",
            "" if f["months_covered"] is None else f"{f['months_covered'] / 10:.1f}",
        ])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


CORRECTION_STATES = ("proposed", "approved", "rejected", "withdrawn")
CORRECTIONS_LISTED = 10


@dataclass
class Corrections:
    """The care fund's corrections of the home (market/fund/corrections.py) for its committee."""

    counts: dict[str, int]  # by status, every state present
    latest: list  # the last CORRECTIONS_LISTED, newest first

    @property
    def decided(self) -> int:
        return self.counts["approved"] + self.counts["rejected"]


def home_corrections(home_id: int) -> Corrections:
    """Counts by status (one GROUP BY over the home's few corrections) and the latest ones."""
    from market.fund.corrections import home_corrections as listed

    counts = dict.fromkeys(CORRECTION_STATES, 0)
    for status, number in db.session.execute(
            select(Correction.status, func.count()).where(Correction.home_id == home_id)
            .group_by(Correction.status)):
        counts[status] = int(number)
    return Corrections(counts, listed(home_id, limit=CORRECTIONS_LISTED))


def pending_approvals(home_id: int):
    from market.fund.disbursements import home_disbursements

    return home_disbursements(home_id, "proposed")

