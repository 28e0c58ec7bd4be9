"""Demo data for the newer parts of the impact pages (issue 20): photos on some buyers'
reviews, reported reviews (in each home one hidden by the committee and shown again by the
platform, each with its reason; in the first home one more waiting),
and the care fund's corrections in every state on the committee dashboard (a withdrawn one in
every home, one waiting for a decision in the first). Runs after `seed_reviews`."""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select

from market import clock as market_clock
from market.demo.history import _member, clock
from market.demo.pictures import PALETTES, picture
from models import Correction, Home, User, db
from models.impact import Review, ReviewPhoto
from models.ledger import JournalEntry

PHOTO_SHARE = 0.2  # of the 4- and 5-star reviews


def seed_review_extras(homes: list[Home], now: datetime | None = None, seed: int = 2022) -> None:
    now = now or market_clock.now()
    rng = random.Random(seed)
    for number, home in enumerate(homes):
        home = db.session.get(Home, home.id)
        _photos(home, rng)
        _moderation(home, now, first=number == 0)
        _corrections(home, now, first=number == 0)


def _photos(home: Home, rng: random.Random) -> None:
    from market import storage
    from market.uploads import store_image

    palettes = sorted(PALETTES)
    config = current_app.config
    for review in db.session.scalars(select(Review).where(Review.home_id == home.id, Review.stars >= 4)
                                     .order_by(Review.id)):
        if rng.random() >= PHOTO_SHARE:
            continue
        for position in range(1, rng.choice((1, 1, 2, 3)) + 1):
            image = store_image(io.BytesIO(picture(rng.choice(palettes), "produce", rng.randrange(10**6))),
                                root=storage.review_photos(), max_bytes=config["UPLOAD_MAX_BYTES"])
            db.session.add(ReviewPhoto(review_id=review.id, position=position, path=image.path,
                                       thumb_path=image.thumb_path, width=image.width, height=image.height))
    db.session.commit()


def _moderation(home: Home, now: datetime, first: bool) -> None:
    from market.impact import moderation, reviews

    found = list(db.session.scalars(select(Review).where(Review.home_id == home.id)
                                    .order_by(Review.stars, Review.id).limit(2)))
    if not found:
        return
    others = [user for user in db.session.scalars(select(User).where(User.email.like("reviewer%"))
                                                  .order_by(User.id))]
    worst = found[0]
    for user in [u for u in others if u.id != worst.user_id][:2]:
        with clock(now - timedelta(days=3)):
            reviews.report(worst.id, user, "用词不礼貌")
    supervisor = _member(home, "supervisor", 0)
    with clock(now - timedelta(days=2)):
        moderation.decide(supervisor, worst.id, "hide", "有人举报用词不礼貌，先隐藏，请平台核实",
                          home_id=home.id)
    admin = db.session.scalar(select(User).where(User.is_admin.is_(True)).order_by(User.id).limit(1))
    if admin is not None:  # the platform looks: fair words, shown again
        with clock(now - timedelta(days=1)):
            moderation.decide(admin, worst.id, "restore", "看过了，是真实的意见，没有骂人，恢复显示",
                              home_id=None)
    if first and len(found) > 1:  # one report, waiting for someone to look
        reporter = next(u for u in others if u.id != found[1].user_id)
        with clock(now - timedelta(days=1)):
            reviews.report(found[1].id, reporter, "内容不实")


def _corrections(home: Home, now: datetime, first: bool) -> None:
    from market.fund import corrections

    supervisor = _member(home, "supervisor", 0)
    corrected = select(Correction.entry_id)
    entries = list(db.session.scalars(select(JournalEntry).where(
        JournalEntry.kind == "grant", JournalEntry.home_id == home.id, JournalEntry.id.not_in(corrected),
        or_(JournalEntry.source_type.is_(None), JournalEntry.source_type != "correction"))
        .order_by(JournalEntry.seq).limit(2)))
    if not entries:
        return
    with clock(now - timedelta(days=20)):
        mistaken = corrections.propose_correction(home.id, supervisor, entries[0].seq,
                                                  "以为金额登记错了，申请更正")
    with clock(now - timedelta(days=19)):
        corrections.withdraw_correction(home.id, mistaken.id, supervisor)
    if first and len(entries) > 1:
        with clock(now - timedelta(days=1)):
            corrections.propose_correction(home.id, supervisor, entries[1].seq,
                                           "补助用途写错，请第二人核对后更正")
