"""Buyers' reviews of what they bought, the home's reply and reports of abuse.

- A review is written by the buyer of an order line (the signed-in account that placed the
  order), only once the line is fulfilled (the tour attended, the stay over, the goods
  shipped) and not wholly refunded; one per line; 1–5 stars and optional words.
- The home may reply once. Anyone signed in may report a review once; after REPORTS_TO_HIDE
  reports from different people its words are hidden until the platform looks (the stars
  still count).
- A review names the elder credited on the listing only when that elder consented to be shown.
- Up to PHOTOS_PER_REVIEW photos, checked and re-encoded by market/uploads.py (within its memory
  budget) before anything is saved; kept outside the public /media folder and served by
  `/reviews/photos/<id>` only while the review is not hidden. A hidden review's words and photos
  are hidden together; its stars still count.
- Each review adds to `impact_sums` (the home's month) and `impact_listing_reviews` (count and
  stars of the listing) in its own transaction: a listing shows its average without counting.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from market import clock
from market.impact.records import ImpactError
from market.impact.sums import bump, bump_listing
from market.ledger.sums import month_of
from market.uploads import StoredImage
from models import Elder, Listing, OrderLine, db
from models.impact import (
    PHOTOS_PER_REVIEW,
    ListingReviewSum,
    Review,
    ReviewPhoto,
    ReviewReport,
)

TEXT_MAX = 2000
REPLY_MAX = 1000
REPORT_MAX = 500
SHOWN = 10


def _int_id(raw) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**31 else None


def line_for_review(user, line_id) -> OrderLine:
    """The order line `user` may review now, or ImpactError saying why not."""
    ident = _int_id(line_id)
    line = db.session.get(OrderLine, ident) if ident else None
    if line is None or user is None or not user.is_authenticated or line.order.user_id != user.id:
        raise ImpactError(_("Only the buyer can review what they bought."))
    if line.fulfilled_at is None:
        raise ImpactError(_("You can review this once it has been delivered or has taken place."))
    if line.refunded_fen >= line.amount_fen > 0:
        raise ImpactError(_("This was refunded, so it cannot be reviewed."))
    if db.session.scalar(select(Review.id).where(Review.order_line_id == line.id)):
        raise ImpactError(_("You have already reviewed this."))
    return line


def write_review(user, line_id, stars, text: str | None, photos: list[StoredImage] = ()) -> Review:
    """The review and its photos (already stored) in one transaction; ImpactError saves nothing
    (the caller removes the stored files)."""
    line = line_for_review(user, line_id)
    if len(photos) > PHOTOS_PER_REVIEW:
        raise ImpactError(_("Please choose at most %(num)d photos.", num=PHOTOS_PER_REVIEW))
    if stars not in (1, 2, 3, 4, 5):
        raise ImpactError(_("Please choose from 1 to 5 stars."))
    body = (text or "").strip()
    if len(body) > TEXT_MAX:
        raise ImpactError(_("Please write at most %(n)s characters.", n=TEXT_MAX))
    review = Review(order_line_id=line.id, listing_id=line.listing_id, home_id=line.home_id, user_id=user.id,
                    stars=stars, body=body, created_at=clock.now())
    db.session.add(review)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ImpactError(_("You have already reviewed this.")) from None
    for position, image in enumerate(photos, start=1):
        db.session.add(ReviewPhoto(review_id=review.id, position=position, path=image.path,
                                   thumb_path=image.thumb_path, width=image.width, height=image.height))
    bump(line.home_id, month_of(review.created_at), {"review_count": 1, "review_stars": stars})
    bump_listing(line.listing_id, 1, stars)
    db.session.commit()
    return review


def shown_photo(photo_id: int) -> ReviewPhoto | None:
    """A review photo anyone may see: None when its review is hidden."""
    photo = db.session.get(ReviewPhoto, photo_id)
    if photo is None or db.session.get(Review, photo.review_id).hidden:
        return None
    return photo


def review_in(home_id: int, review_id) -> Review | None:
    ident = _int_id(review_id)
    if ident is None:
        return None
    return db.session.scalar(select(Review).where(Review.id == ident, Review.home_id == home_id))


def reply(home_id: int, review_id, user, text: str | None) -> Review:
    review = review_in(home_id, review_id)
    if review is None:
        raise ImpactError(_("No such review for this home."))
    body = (text or "").strip()
    if not body:
        raise ImpactError(_("Please write the reply."))
    if len(body) > REPLY_MAX:
        raise ImpactError(_("Please write at most %(n)s characters.", n=REPLY_MAX))
    if review.reply is not None:
        raise ImpactError(_("The home has already replied to this review."))
    review.reply, review.replied_at, review.replied_by_id = body, clock.now(), user.id
    db.session.commit()
    return review


def report(review_id, user, reason: str | None) -> Review:
    ident = _int_id(review_id)
    review = db.session.get(Review, ident) if ident else None
    if review is None:
        raise ImpactError(_("No such review."))
    if db.session.scalar(select(ReviewReport.id).where(ReviewReport.review_id == review.id,
                                                       ReviewReport.user_id == user.id)):
        raise ImpactError(_("You have already reported this review. Thank you."))
    db.session.add(ReviewReport(review_id=review.id, user_id=user.id,
                                reason=(reason or "").strip()[:REPORT_MAX]))
    review.reports = Review.reports + 1
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ImpactError(_("You have already reported this review. Thank you.")) from None
    return review


# ---- reading ------------------------------------------------------------------------------------

@dataclass
class ShownReview:
    review: Review
    elder: Elder | None  # the credited elder, only with consent
    hidden: bool

    @property
    def day(self) -> str:
        return clock.local_today(self.review.created_at).isoformat()

    @property
    def author(self) -> str:
        return short_name(self.review.user.name)


def short_name(name: str) -> str:
    """What a review shows of its writer: "Ann" of "Ann Buyer", "李*" of "李明"."""
    name = (name or "").strip()
    if " " in name:
        return name.split(" ")[0]
    return (name[:1] + "*") if name else "*"


@dataclass
class ListingReviews:
    count: int
    average: int | None  # tenths of a star
    latest: list[ShownReview]


def _shown(reviews: list[Review], listing: Listing | None = None) -> list[ShownReview]:
    elders = {}
    if listing is not None and listing.elder_id:
        elder = db.session.get(Elder, listing.elder_id)
        if elder is not None and elder.consent_public:
            elders[listing.id] = elder
    return [ShownReview(r, elders.get(r.listing_id), r.hidden) for r in reviews]


def listing_reviews(listing: Listing, limit: int = SHOWN) -> ListingReviews:
    """The listing's count and average (one summary row) and its latest reviews."""
    row = db.session.get(ListingReviewSum, listing.id)
    count = row.count if row else 0
    average = (row.stars * 20 + count) // (count * 2) if count else None
    latest = list(db.session.scalars(select(Review).where(Review.listing_id == listing.id)
                                     .options(selectinload(Review.photos))
                                     .order_by(Review.id.desc()).limit(limit))) if count else []
    return ListingReviews(count, average, _shown(latest, listing))


def home_reviews(home_id: int, limit: int = 50) -> list[Review]:
    return list(db.session.scalars(select(Review).where(Review.home_id == home_id)
                                   .order_by(Review.id.desc()).limit(limit)))


def reviewable_lines(order, user) -> list[tuple[OrderLine, Review | None]]:
    """The order's lines the signed-in buyer could review or has reviewed (for the order page)."""
    if user is None or not user.is_authenticated or order.user_id != user.id:
        return []
    lines = [line for line in order.lines if line.fulfilled_at is not None]
    if not lines:
        return []
    done = {r.order_line_id: r for r in db.session.scalars(
        select(Review).where(Review.order_line_id.in_([line.id for line in lines])))}
    return [(line, done.get(line.id)) for line in lines
            if line.id in done or not line.refunded_fen >= line.amount_fen > 0]
