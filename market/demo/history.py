"""Demo history: months of paid orders, a partial refund, donations, a township subsidy with
its document (confirmed by a second person), a grant entered twice and corrected, the rules in
the public audit log, and approved and rejected care-fund spending with receipts, for every
demo home.

Everything goes through the real services (payments → orders → ledger hooks; the fund's
donation, grant and disbursement use cases), so the ledger, its Merkle log and the fund pages
are exactly what real use would produce and `flask ledger verify` passes. Past dates come
from a simulated clock: while a past event is replayed, `market.clock.now()` returns that
moment. Orders are written as the checkout would price them (rates copied onto lines), but
without holding inventory, since their dates have passed.
"""

from __future__ import annotations

import io
import random
import secrets
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from unittest import mock

from PIL import Image, ImageDraw
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from market import clock as market_clock
from models import Elder, Home, JournalEntry, Listing, Membership, Order, OrderLine, Room, User, db
from models.catalog import GOODS

MONTHS = 12


@contextmanager
def clock(moment: datetime):
    """While inside, the services think it is `moment` (an aware UTC datetime)."""
    with mock.patch.object(market_clock, "now", lambda: moment):
        yield


def receipt_image(title: str, amount_fen: int, day: date, seed: int) -> bytes:
    """A plain drawn receipt (Pillow), as a phone photo of a paper receipt would be stored."""
    rng = random.Random(seed)
    image = Image.new("RGB", (600, 800), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, 570, 770), outline=(120, 110, 90), width=3)
    draw.text((60, 60), "RECEIPT", fill=(40, 40, 40))
    draw.text((60, 110), title[:60], fill=(40, 40, 40))
    draw.text((60, 160), day.isoformat(), fill=(40, 40, 40))
    y = 220
    for _ in range(rng.randint(3, 7)):
        draw.line((60, y, 540, y), fill=(200, 195, 185), width=1)
        y += 40
    draw.text((60, y + 40), f"TOTAL CNY {amount_fen // 100}.{amount_fen % 100:02d}", fill=(20, 20, 20))
    draw.ellipse((400, 600, 540, 740), outline=(190, 40, 40), width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _member(home: Home, role: str, n: int) -> User:
    user = db.session.scalar(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.home_id == home.id, Membership.role == role).order_by(User.id).offset(n).limit(1)
    )
    if user is not None:
        return user
    from market.demo import data

    label = "committee" if role == "supervisor" else "staff"
    user = User(email=f"{label}{n + 2}.{home.slug}@demo.example.com",
                name=f"{home.name_zh}{'监督员' if role == 'supervisor' else '工作人员'}{n + 2}",
                password_hash=generate_password_hash(getattr(data, "PASSWORD", secrets.token_hex(8))))
    db.session.add(user)
    db.session.flush()
    db.session.add(Membership(user_id=user.id, home_id=home.id, role=role))
    db.session.commit()
    return user


def _new_order(home: Home, listing: Listing, quantity: int, when: datetime, rng: random.Random) -> Order:
    from market.catalog.service import effective_care_bps, platform_fee_bps

    fee_bps = platform_fee_bps()
    unit = listing.price_fen
    room_id = check_in = check_out = None
    if listing.kind == "homestay":
        room = db.session.scalar(select(Room).where(Room.listing_id == listing.id).order_by(Room.id).limit(1))
        if room is not None:
            room_id, unit = room.id, room.nightly_price_fen
        check_in = when.date()
        check_out = check_in + timedelta(days=quantity)
    elder = db.session.get(Elder, listing.elder_id) if listing.elder_id else None
    order = Order(
        reference="H" + secrets.token_hex(4).upper(), idempotency_token=secrets.token_hex(16),
        home_id=home.id, status="pending_payment", provider="offline", total_fen=unit * quantity,
        currency=listing.currency,
        contact_name="演示买家", contact_phone=f"138{rng.randint(10_000_000, 99_999_999)}",
        created_at=when, hold_expires_at=when + timedelta(hours=48),
    )
    order.lines.append(OrderLine(
        home_id=home.id, listing_id=listing.id, kind=listing.kind, title=listing.title_zh,
        title_en=listing.title_en,
        room_id=room_id, check_in=check_in, check_out=check_out, guests=2 if room_id else None,
        quantity=quantity, unit_price_fen=unit, amount_fen=unit * quantity,
        care_share_bps=effective_care_bps(listing), incentive_bps=elder.incentive_bps if elder else 0,
        platform_fee_bps=fee_bps, elder_id=elder.id if elder else None, holds_inventory=False,
    ))
    if listing.kind in GOODS:  # sent to a buyer somewhere, at the home's shipping table's price
        from market.orders.shipping import quote

        places = ("北京市", "上海市", "广东省", "新疆维吾尔自治区", home.province_zh)
        # Its own generator: the shared one's sequence (and so the rest of the history) stays as it was.
        order.ship_province = random.Random(listing.id * 7919 + when.toordinal()).choice(places)
        order.ship_city, order.ship_district, order.ship_street = "演示市", "演示区", "演示路1号"
        shipping = quote(home.id, order.ship_province)
        order.shipping_fen, order.shipping_days = shipping.fee_fen, shipping.days_text or None
        order.total_fen += shipping.fee_fen
    db.session.add(order)
    db.session.flush()
    return order


def _pay(order: Order, staff: User, when: datetime, received_fen: int | None = None,
         reason: str = "") -> None:
    """Staff confirm the cash; `received_fen` other than the total is a discount or a gift (with
    `reason`), as the console's form records it (market/payments/offline.py)."""
    from market.payments.providers import get_provider

    with clock(when):
        received = order.total_fen if received_fen is None else received_fen
        get_provider("offline").confirm(order, actor=staff, method="cash", amount_fen=received, reason=reason)
        db.session.commit()


def _fulfil(order: Order, staff: User, when: datetime) -> None:
    from market.orders import fulfilment

    [line] = order.lines
    if line.kind == "homestay":  # checked out on the morning the guests leave, not before
        when = max(when, market_clock.start_of_day(line.check_out) + timedelta(hours=3))
    with clock(when):
        if line.kind in ("produce", "craft"):
            fulfilment.apply_ship(order, staff, "中国邮政", f"EMS{order.id:09d}")
        else:
            fulfilment.apply_mark_done(order, line.id, staff)
        db.session.commit()


def _partial_refund(order: Order, staff: User, when: datetime) -> None:
    from market.payments.service import apply_request_refund

    line = order.lines[0]
    with clock(when):
        apply_request_refund(order, {line.id: line.amount_fen // 3}, "一件破损，部分退款", actor=staff)
        db.session.commit()


def _grant(home: Home, recorder: User, confirmer: User, when: datetime, **fields):
    """A grant recorded with a photo of its payment notice, confirmed by a second person a day later."""
    from werkzeug.datastructures import FileStorage

    from market.fund import grants

    notice = receipt_image(f"{fields['source_name']} 拨款通知", fields["amount_fen"], when.date(),
                           home.id * 1000 + when.toordinal() % 1000)
    with clock(when):
        grant = grants.record_grant(home.id, recorder, received_on=when.date(),
                                    document=FileStorage(io.BytesIO(notice), filename="notice.png"), **fields)
    with clock(when + timedelta(hours=20)):
        return grants.confirm_grant(home.id, grant.id, confirmer)


def seed_history(homes: list[Home], now: datetime | None = None, seed: int = 2026) -> None:
    """A year of history for each home; each step commits like the real use case."""
    from market.catalog.service import platform_fee_bps
    from market.fund import corrections, donations
    from market.ledger import audit
    from market.ledger import entries as ledger_entries

    now = now or market_clock.now()
    rng = random.Random(seed)
    start = now - timedelta(days=30 * MONTHS)
    for home in homes:
        home = db.session.get(Home, home.id)
        staff = _member(home, "staff", 0)
        supervisor = _member(home, "supervisor", 0)
        listings = list(db.session.scalars(
            select(Listing)
            .where(Listing.home_id == home.id, Listing.status == "published")
            .order_by(Listing.id)
        ))
        if not listings:
            continue
        by_kind: dict[str, list[Listing]] = {}
        for listing in listings:
            by_kind.setdefault(listing.kind, []).append(listing)
        admin = db.session.scalar(select(User).where(User.is_admin.is_(True)).order_by(User.id).limit(1))
        # The rules in force, in the public audit log from the start (who set them: the admin).
        with clock(start):
            audit.record_change(home_id=home.id, what="care_share", subject={}, before=None,
                                after=home.care_share_bps, actor=admin)
            audit.note_platform_fee(platform_fee_bps())
            db.session.commit()
        # A township subsidy at the start, and every quarter a village-collective grant: each
        # recorded by the home's supervisor with a photo of the payment notice and confirmed by
        # a second person (the township's administrator: these homes have one supervisor).
        _grant(home, supervisor, admin, start + timedelta(days=2), source="township",
               source_name=f"{home.county_zh}乡镇养老补贴",
               amount_fen=rng.choice((1500_00, 2000_00, 3000_00)), note="季度运营补贴")
        collective = dict(source="village_collective", source_name=f"{home.village_zh}村集体",
                          amount_fen=800_00)
        _grant(home, supervisor, admin, start + timedelta(days=95), **collective)
        # …entered twice by mistake, and corrected: the supervisor proposes taking the duplicate
        # back, and the administrator (a second person) approves the reversing entry.
        duplicate = _grant(home, supervisor, admin, start + timedelta(days=96), **collective)
        with clock(start + timedelta(days=97)):
            entry = db.session.get(JournalEntry, duplicate.entry_id)
            correction = corrections.propose_correction(home.id, supervisor, entry.seq,
                                                        "同一笔村集体资助登记了两次，撤销重复的一笔")
        with clock(start + timedelta(days=98)):
            corrections.decide_correction(home.id, correction.id, admin, approve=True, comment="核对无误")
        refunded = False
        for week in range(MONTHS * 4 + 2):
            day = start + timedelta(days=7 * week + rng.randint(0, 5), hours=rng.randint(1, 10))
            if day > now - timedelta(days=1):
                break
            # One order a week, the kinds in turn (a home without that kind skips the week).
            for kind in (("tour", "homestay", "produce", "craft")[week % 4],):
                choices = by_kind.get(kind)
                if not choices:
                    continue
                listing = rng.choice(choices)
                quantity = rng.randint(1, 3) if kind != "homestay" else rng.randint(1, 2)
                order = _new_order(home, listing, quantity, day, rng)
                if week == 6:  # a regular buyer: the home lets the odd yuan go
                    odd = max(order.total_fen % 1000, 100)
                    _pay(order, staff, day, order.total_fen - odd, "老主顾，抹零优惠")
                elif week == 10:  # "keep the change for the elders"
                    _pay(order, staff, day, order.total_fen + 2000, "买家说多的钱给老人们加个菜")
                else:
                    _pay(order, staff, day)
                if day < now - timedelta(days=10):
                    _fulfil(order, staff, day + timedelta(days=rng.randint(1, 3)))
                if not refunded and kind in ("produce", "craft"):
                    _partial_refund(order, staff, day + timedelta(days=4))
                    refunded = True
            if week % 3 == 1:
                name = rng.choice(("张先生", "City volunteers", ""))
                donation = donations.create_donation(
                    home.id, rng.choice((2000, 5000, 10000, 20000)),
                    donor_name=name, anonymous=not name or rng.random() < 0.5,
                    message=rng.choice(("祝老人们身体健康！", "", "For the dining table")),
                )
                with clock(day + timedelta(days=1)):
                    donations.confirm_donation(donation.id, donation.amount_fen, "offline", actor=staff)
        # Due care-fund income becomes available (goods: 7 days after shipping).
        ledger_entries.release_due(now)
        db.session.commit()
        _spending(home, staff, supervisor, now, rng)
        _month_settlements(home, supervisor, admin, start, now)
        _elder_payout(home, staff, supervisor, now)


def _elder_payout(home: Home, staff: User, supervisor: User, now: datetime) -> None:
    """The elder owed the most is paid half of it in cash: the staff member records it and the
    supervisor (a second person) signs it off, so the payout enters the books."""
    from market.fund import elder_pay

    owed = [(fen, elder.id) for elder, fen in elder_pay.elders_owed(home.id) if fen >= 200]
    if not owed:
        return
    fen, elder_id = max(owed)
    when = now - timedelta(days=2)
    with clock(when):
        payout = elder_pay.record_payout(home.id, staff, elder_id=elder_id, amount_fen=fen // 2,
                                         method="cash", paid_by=staff.name,
                                         paid_on=market_clock.local_today(when),
                                         note="销售分成，现金当面交给老人")
    with clock(when + timedelta(hours=3)):
        elder_pay.decide_payout(home.id, payout.id, supervisor, approve=True, comment="老人已签收")


def _month_settlements(home: Home, supervisor: User, admin: User, start: datetime, now: datetime) -> None:
    """Every month but the last is settled between the home and the platform a few days after
    it ends (the home hands over the fees of its offline sales); last month is still owed, as
    the fund page then says."""
    from market.fund import month_settlements as months
    from market.ledger import offline

    last = months.previous_month(market_clock.local_today(now))
    month = start.strftime("%Y-%m")
    while month < last:
        first = months.first_day(month)
        following = (first + timedelta(days=32)).replace(day=1)
        when = market_clock.start_of_day(following) + timedelta(days=3, hours=10)
        figures = offline.month_figures(home.id, month)
        if figures["fees"] or figures["operations"] or figures["incentive"]:
            with clock(when):
                months.record_month_settlement(
                    home.id, admin, month=month, method="transfer" if figures["net"] < 0 else "cash",
                    paid_by=supervisor.name if figures["net"] > 0 else "平台财务",
                    paid_on=market_clock.local_today(when), reference=f"结算{month}")
        month = following.strftime("%Y-%m")


SPENDING = [
    ("meals", "老年餐桌：米面油", "村供销社", 0.25),
    ("medical_checks", "季度健康检查", "乡卫生院", 0.2),
    ("activities", "重阳节活动", "文化站", 0.1),
    ("facilities", "更换扶手与防滑垫", "五金店", 0.3),
    ("daily_care", "理发与洗浴用品", "村理发店", 0.08),
]


def _spending(home: Home, staff: User, supervisor: User, now: datetime, rng: random.Random) -> None:
    from market.fund import disbursements
    from market.fund import service as fund

    for number, (category, description, payee, share) in enumerate(SPENDING):
        when = now - timedelta(days=(len(SPENDING) - number) * 25 + rng.randint(0, 5))
        available = fund.available_fen(home.id)
        amount = max(100, int(available * share) // 100 * 100)
        if amount > available or available <= 0:
            continue
        receipt = receipt_image(f"{payee} {description}", amount, when.date(), home.id * 100 + number)
        proposal = disbursements.Proposal(category, amount, payee, when.date(), description)
        with clock(when):
            d = disbursements.propose_disbursement(home.id, staff, proposal, io.BytesIO(receipt))
        with clock(when + timedelta(days=1)):
            if number == 2:
                disbursements.decide_disbursement(home.id, d.id, supervisor, approve=False,
                                         comment="发票金额与清单不符，请重新提交")
            else:
                disbursements.decide_disbursement(home.id, d.id, supervisor, approve=True, comment="同意")
