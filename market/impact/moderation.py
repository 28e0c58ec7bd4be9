"""Moderating reviews: the platform admin (every home) and a home's committee (its supervisors,
for the home's own reviews) list the reported reviews and hide or restore one with a reason.
Each decision is recorded (`impact_review_decisions`: who, when, why, as admin or committee).

Hidden: the review's words and photos are not shown (its stars still count, as after reports);
restored: shown again, and further reports no longer hide it until someone decides again.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from market import clock
from market.impact.records import ImpactError
from models import db
from models.impact import Review, ReviewDecision

REASON_MAX = 500
LISTED = 100
ACTIONS = {"hide": "hidden", "restore": "shown"}


def _int_id(raw) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**31 else None


def reported(home_id: int | None = None) -> list[Review]:
    """Reviews someone reported or a moderator hid, the most reported first (one home's, or all)."""
    query = (select(Review).where(or_(Review.reports > 0, Review.moderation == "hidden"))
             .options(selectinload(Review.photos)).order_by(Review.reports.desc(), Review.id.desc())
             .limit(LISTED))
    if home_id is not None:
        query = query.where(Review.home_id == home_id)
    return list(db.session.scalars(query))


def decisions(review_ids: list[int]) -> dict[int, list[ReviewDecision]]:
    found: dict[int, list[ReviewDecision]] = {}
    if review_ids:
        for row in db.session.scalars(select(ReviewDecision).where(ReviewDecision.review_id.in_(review_ids))
                                      .options(selectinload(ReviewDecision.user))
                                      .order_by(ReviewDecision.id)):
            found.setdefault(row.review_id, []).append(row)
    return found


def decide(user, review_id, action: str | None, reason: str | None, *, home_id: int | None) -> Review:
    """Hide or restore a review. `home_id`: the committee's home (its reviews only); None for the
    platform admin. Refused with ImpactError (nothing changed) for a review of another home,
    an unknown action, no reason or a decision that changes nothing."""
    ident = _int_id(review_id)
    review = db.session.get(Review, ident) if ident else None
    if review is None or (home_id is not None and review.home_id != home_id):
        raise ImpactError(_("No such review."))
    if action not in ACTIONS:
        raise ImpactError(_("Please choose to hide or to restore the review."))
    reason = (reason or "").strip()
    if not reason:
        raise ImpactError(_("Please say why: the reason is kept with the decision."))
    if len(reason) > REASON_MAX:
        raise ImpactError(_("Please write at most %(n)s characters.", n=REASON_MAX))
    if action == "hide" and review.hidden and review.moderation == "hidden":
        raise ImpactError(_("This review is already hidden."))
    if action == "restore" and not review.hidden:
        raise ImpactError(_("This review is already shown."))
    review.moderation = ACTIONS[action]
    db.session.add(ReviewDecision(review_id=review.id, home_id=review.home_id, action=action, reason=reason,
                                  user_id=user.id, as_admin=home_id is None, created_at=clock.now()))
    db.session.commit()
    return review
