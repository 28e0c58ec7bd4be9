"""Moderation: the platform admin and a home's committee list reported reviews and hide or
restore one with a reason; each decision is recorded; staff and other homes cannot."""

from sqlalchemy import func, select

from market.impact import reviews
from models import Listing, db
from models.impact import Review, ReviewDecision
from tests.conftest import login, post_form
from tests.impact.test_reviews import _bought


def _reported(make, home, body="rude words"):
    buyer = make.user()
    _order, line = _bought(make, buyer, make.listing(home, "produce"))
    review = reviews.write_review(buyer, line.id, 1, body)
    reviews.report(review.id, make.user(), "abusive")
    return review


def _decisions() -> int:
    return db.session.scalar(select(func.count()).select_from(ReviewDecision))


def test_the_committee_hides_and_restores_its_homes_review_with_a_reason(client, make, english):
    home = make.home()
    review = _reported(make, home)
    supervisor = make.member(home, "supervisor", name="Chair Wang")
    login(client, supervisor)
    url = f"/manage/{home.slug}/moderation"
    page = client.get(url).get_data(as_text=True)
    assert "rude words" in page and "reported 1 time" in page
    assert post_form(client, url, {"review": review.id, "action": "hide", "reason": " "}).status_code == 400
    assert _decisions() == 0
    assert post_form(client, url, {"review": review.id, "action": "hide",
                                   "reason": "insults the cook"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Review, review.id).hidden
    listing = db.session.get(Listing, review.listing_id)
    assert "rude words" not in client.get(f"/listings/{listing.slug}").get_data(as_text=True)
    [decision] = db.session.scalars(select(ReviewDecision))
    assert (decision.action, decision.reason, decision.user_id, decision.as_admin) == (
        "hide", "insults the cook", supervisor.id, False) and decision.created_at is not None
    assert "Chair Wang" in client.get(url).get_data(as_text=True)
    again = post_form(client, url, {"review": review.id, "action": "hide", "reason": "again"})
    assert again.status_code == 400
    assert post_form(client, url, {"review": review.id, "action": "restore",
                                   "reason": "checked: fair words"}).status_code == 302
    db.session.expire_all()
    review = db.session.get(Review, review.id)
    assert not review.hidden and review.moderation == "shown" and _decisions() == 2


def test_staff_and_other_homes_cannot_see_or_act(client, make):
    home, other = make.home(), make.home()
    review = _reported(make, home)
    url = f"/manage/{home.slug}/moderation"
    login(client, make.member(other, "supervisor"))
    assert client.get(url).status_code == 404
    # Another home's committee posting this review through its own page: not found, nothing changed.
    own = f"/manage/{other.slug}/moderation"
    assert post_form(client, own, {"review": review.id, "action": "hide", "reason": "x"}).status_code == 400
    client.delete_cookie("session")
    login(client, make.member(home, "staff"))
    assert client.get(url).status_code == 403
    client.delete_cookie("session")
    login(client, make.user())
    assert client.get("/admin/impact/moderation").status_code == 403
    db.session.expire_all()
    assert not db.session.get(Review, review.id).hidden and _decisions() == 0


def test_the_admin_sees_every_home_and_decides(client, make, english):
    first, second = _reported(make, make.home(), "first words"), _reported(make, make.home(), "second words")
    admin = make.user(is_admin=True)
    login(client, admin)
    page = client.get("/admin/impact/moderation").get_data(as_text=True)
    assert "first words" in page and "second words" in page
    response = post_form(client, "/admin/impact/moderation",
                         {"review": second.id, "action": "hide", "reason": "spam"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Review, second.id).hidden and not db.session.get(Review, first.id).hidden
    [decision] = db.session.scalars(select(ReviewDecision))
    assert decision.as_admin and decision.user_id == admin.id
    assert post_form(client, "/admin/impact/moderation",
                     {"review": first.id, "action": "delete", "reason": "x"}).status_code == 400
