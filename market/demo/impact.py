"""Demo evaluation data: twelve months of what each demo home did and how it was received.

For each home: the elders it serves (names as a paper register writes them), a year of daily
dining-table meals, delivered meals, visits and weekly activities, the monthly satisfaction
survey of most elders, a monthly township subsidy for the dining table, a quarterly grant of the
village collective, a small monthly donation and the care fund's monthly spending on meals
(through the fund's grant, donation and four-eyes spending use cases, on a simulated clock),
and buyers' reviews of the history's fulfilled orders (through the review
service), some with the home's reply.

The year of service records and surveys is written in bulk and the summary then rebuilt from
them (`market.impact.sums.rebuild`), as after importing a year of paper registers; the reviews
go through the service and keep the summary as real use does. `flask impact verify` passes.
"""

from __future__ import annotations

import io
import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from market import clock as market_clock
from market.demo.history import _member, clock, receipt_image
from models import Home, Order, OrderLine, User, db
from models.impact import Resident, ServiceRecord, SurveyResponse

MONTHS = 12
NAMES = ("王秀英", "李桂兰", "张玉兰", "刘凤英", "陈淑珍", "杨德福", "赵长林", "黄秀兰", "周玉珍",
         "吴金山", "徐桂芳", "孙有才", "马翠花", "朱德胜", "胡秀珍", "郭长顺")
REVIEWERS = (("周 静", "reviewer1"), ("Lucy Wang", "reviewer2"), ("孙 磊", "reviewer3"),
             ("Tom Li", "reviewer4"), ("何 芳", "reviewer5"), ("林 涛", "reviewer6"))
REVIEW_TEXTS = {
    5: ("老人讲得太好了，孩子听得入迷。", "Wonderful — the elders made us feel at home.",
        "东西很好，包装仔细，还会再买。", "纸质细腻，写字不洇，值得。"),
    4: ("很好，就是路有点远。", "Good value, arrived a little late.", "味道正宗，量可以再多点。"),
    3: ("还行，房间有点冷。", "OK, but the road was muddy."),
}
REPLIES = ("谢谢您！欢迎再来村里坐坐。", "谢谢，我们会改进。")


def _local_noon(day: date) -> datetime:
    return market_clock.at_local(day, time(12))


def _months(today: date) -> list[date]:
    first = today.replace(day=1)
    starts = []
    for _ in range(MONTHS):
        starts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(starts))


def seed_services(homes: list[Home], now: datetime | None = None, seed: int = 2020) -> None:
    """The year of registers and surveys, and each month's dining-table subsidy and meal
    spending. Runs before the order history: the ledger's log never goes back in time, so the
    fund's entries of a past month must be posted before any later one."""
    now = now or market_clock.now()
    today = market_clock.local_today(now)
    rng = random.Random(seed)
    people = {}
    for home in homes:
        home = db.session.get(Home, home.id)
        people[home.id] = _residents(home, rng)
        _records(home, people[home.id], today, rng)
        _surveys(home, people[home.id], today, rng)
    db.session.commit()
    for first in _months(today):  # month by month, every home, in time order
        for home in homes:
            home = db.session.get(Home, home.id)
            _meal_money(home, first, today, rng)


def seed_reviews(homes: list[Home], now: datetime | None = None, seed: int = 2021) -> None:
    """Buyers' reviews of the history's fulfilled orders; then the summary rebuilt from the
    bulk-written records (the reviews keep it themselves)."""
    from market.impact import sums

    now = now or market_clock.now()
    rng = random.Random(seed)
    sums.rebuild()
    sums.rebuild_sales()
    db.session.commit()
    reviewers = _reviewers()
    for home in homes:
        _reviews(db.session.get(Home, home.id), reviewers, now, rng)


def _reviewers() -> list[User]:
    from market.demo import data

    users = []
    for name, local in REVIEWERS:
        user = User(email=f"{local}@demo.example.com", name=name,
                    password_hash=generate_password_hash(data.PASSWORD))
        db.session.add(user)
        users.append(user)
    db.session.commit()
    return users


def _residents(home: Home, rng: random.Random) -> list[Resident]:
    names = rng.sample(NAMES, rng.randint(11, 15))
    people = [Resident(home_id=home.id, name=name) for name in names]
    db.session.add_all(people)
    db.session.flush()
    return people


def _records(home: Home, people: list[Resident], today: date, rng: random.Random) -> None:
    """A year of the paper register: the dining table most days, a few delivered meals, visits
    to those at home and an activity each week. The home grows a little over the year."""
    start = _months(today)[0]
    delivered = people[:3]  # the three who cannot walk to the table
    walkers = people[3:]
    rows = []
    day = start
    while day <= today:
        growth = (day - start).days / 365
        for person in walkers:
            if rng.random() < 0.55 + 0.25 * growth:
                rows.append((person.id, day, "meal"))
        for person in delivered:
            if rng.random() < 0.9:
                rows.append((person.id, day, "delivered"))
            if day.weekday() == 2 and rng.random() < 0.8:
                rows.append((person.id, day, "visit"))
        if day.weekday() == 5:
            for person in walkers:
                if rng.random() < 0.6:
                    rows.append((person.id, day, "activity"))
        day += timedelta(days=1)
    db.session.execute(ServiceRecord.__table__.insert(), [
        {"home_id": home.id, "resident_id": rid, "day": d, "kind": kind, "source": "import",
         "created_at": _local_noon(d)} for rid, d, kind in rows])


def _surveys(home: Home, people: list[Resident], today: date, rng: random.Random) -> None:
    rows = []
    for number, first in enumerate(_months(today)):
        answering = rng.sample(people, rng.randint(max(4, len(people) - 6), len(people)))
        if first.month == today.month and first.year == today.year:
            answering = answering[: max(3, min(len(answering), today.day // 3))]
        for person in answering:
            mood = 3 + (number / MONTHS) + rng.random() * 1.5  # a little happier as the year goes on
            answers = {f"q{q}": max(1, min(5, round(mood + rng.choice((-1, 0, 0, 0, 1)))))
                       for q in range(1, 6)}
            answered_on = first + timedelta(days=rng.randint(0, 2))
            rows.append({"home_id": home.id, "resident_id": person.id, "month": f"{first:%Y-%m}",
                         "helped": rng.random() < 0.8, "created_at": _local_noon(answered_on), **answers})
    db.session.execute(SurveyResponse.__table__.insert(), rows)


def _meal_money(home: Home, first: date, today: date, rng: random.Random) -> None:
    """One month: the township's dining-table subsidy in, the month's groceries out."""
    from market.demo.history import _grant
    from market.fund import disbursements, donations
    from market.fund import service as fund

    staff, supervisor = _member(home, "staff", 0), _member(home, "supervisor", 0)
    admin = db.session.scalar(select(User).where(User.is_admin.is_(True)).order_by(User.id).limit(1))
    on = first + timedelta(days=4)
    if on > today:
        return
    # Each with its payment notice, confirmed by a second person (the township's administrator).
    _grant(home, supervisor, admin, _local_noon(on), source="government",
           source_name=f"{home.county_zh}老年餐桌补贴", amount_fen=rng.choice((1200_00, 1500_00, 1800_00)),
           note="老年餐桌运营补贴")
    if first.month % 3 == 1:  # each quarter the village collective adds its share
        _grant(home, supervisor, admin, _local_noon(on) + timedelta(hours=1), source="village_collective",
               source_name=f"{home.village_zh}村集体", amount_fen=500_00, note="老年餐桌村集体补助")
    gift = donations.create_donation(home.id, rng.choice((50_00, 100_00, 200_00)),
                                     donor_name="城里志愿者", anonymous=rng.random() < 0.5,
                                     message="给老人们加个菜")
    with clock(_local_noon(on) + timedelta(hours=2)):
        donations.confirm_donation(gift.id, gift.amount_fen, "offline", actor=staff)
    end = min(today, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1))
    meals = db.session.scalar(select(func.count(ServiceRecord.id)).where(
        ServiceRecord.home_id == home.id, ServiceRecord.kind.in_(("meal", "delivered")),
        ServiceRecord.day >= first, ServiceRecord.day <= end)) or 0
    spent_on = min(today, first + timedelta(days=20))
    budget = fund.available_fen(home.id) * 8 // 10
    amount = min(meals * rng.choice((350, 400, 450)), budget) // 100 * 100
    if amount <= 0:
        return
    proposal = disbursements.Proposal("meals", amount, "村供销社", spent_on, "老年餐桌：米面油、蔬菜和肉")
    receipt = receipt_image("村供销社 老年餐桌", amount, spent_on, home.id * 1000 + first.month)
    with clock(_local_noon(spent_on)):
        d = disbursements.propose_disbursement(home.id, staff, proposal, io.BytesIO(receipt))
    with clock(_local_noon(spent_on) + timedelta(hours=3)):
        disbursements.decide_disbursement(home.id, d.id, supervisor, approve=True, comment="同意")


def _reviews(home: Home, reviewers: list[User], now: datetime, rng: random.Random) -> None:
    from market.impact import reviews

    staff = _member(home, "staff", 0)
    lines = list(db.session.scalars(
        select(OrderLine).join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.home_id == home.id, OrderLine.fulfilled_at.is_not(None), Order.user_id.is_(None))
        .order_by(OrderLine.id)))
    for line in lines:
        if rng.random() < 0.25:
            continue
        buyer = rng.choice(reviewers)
        line.order.user_id = buyer.id  # the demo buyer who placed this order
        db.session.commit()
        stars = rng.choice((5, 5, 5, 4, 4, 3))
        when = min(now, line.fulfilled_at + timedelta(days=rng.randint(1, 4)))
        with clock(when):
            review = reviews.write_review(buyer, line.id, stars, rng.choice(REVIEW_TEXTS[stars]))
        if rng.random() < 0.4:
            with clock(min(now, when + timedelta(days=1))):
                reviews.reply(home.id, review.id, staff, REPLIES[stars < 4])
