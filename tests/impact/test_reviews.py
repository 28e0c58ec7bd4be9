"""Reviews: only by the buyer, only after the line is fulfilled, one per line; the home replies
once; reports; shown on the listing with the average and count from the summary row."""

import pytest
from sqlalchemy import func, select

from market.impact import reviews
from market.impact.records import ImpactError
from market.impact.sums import recomputed, stored
from market.orders.cart import add_to_cart
from models import Order, db
from models.impact import Review
from tests.conftest import login, post_form
from tests.factories import check_out, pay_offline, ship


def review_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Review))


def _bought(make, buyer, listing=None, fulfilled=True):
    listing = listing or make.listing(make.home(), "produce")
    owner = f"u:{buyer.id}"
    add_to_cart(owner, listing.id, quantity="1")
    [order] = check_out(owner, user_id=buyer.id)
    pay_offline(order)
    if fulfilled:
        ship(order)
    order = db.session.get(Order, order.id)
    return order, order.lines[0]


def test_refused_before_fulfilment_twice_or_by_anyone_but_the_buyer(app, make):
    buyer, stranger = make.user(name="Ann Buyer"), make.user()
    order, line = _bought(make, buyer, fulfilled=False)
    with pytest.raises(ImpactError):  # paid, not yet shipped
        reviews.write_review(buyer, line.id, 5, "great")
    ship(order)
    with pytest.raises(ImpactError):  # someone else
        reviews.write_review(stranger, line.id, 1, "bad")
    reviews.write_review(buyer, line.id, 4, "good eggs")
    with pytest.raises(ImpactError):  # twice for one line
        reviews.write_review(buyer, line.id, 5, "even better")
    assert review_count() == 1
    with pytest.raises(ImpactError):
        reviews.write_review(buyer, 999_999, 5, "")


@pytest.mark.parametrize("stars", [0, 6, None, "5"])
def test_stars_from_one_to_five(app, make, stars):
    buyer = make.user()
    _order, line = _bought(make, buyer)
    with pytest.raises(ImpactError):
        reviews.write_review(buyer, line.id, stars, "")
    assert review_count() == 0 and stored() == ({}, {})


def test_sums_and_the_listing_average(app, make):
    listing = make.listing(make.home(), "produce")
    for stars in (5, 4, 4):
        buyer = make.user()
        _order, line = _bought(make, buyer, listing)
        reviews.write_review(buyer, line.id, stars, "")
    found = reviews.listing_reviews(listing)
    assert (found.count, found.average, len(found.latest)) == (3, 43, 3)  # 13 / 3 = 4.33
    assert stored() == recomputed()


def test_the_pages_write_show_reply_and_report(client, make, english):
    home = make.home()
    staff = make.member(home, "staff")
    elder = make.elder(home, consent_public=False, display_name_en="Grandpa Li")
    listing = make.listing(home, "produce", elder_id=elder.id)
    buyer = make.user(name="Ann Buyer")
    order, line = _bought(make, buyer, listing)
    login(client, buyer)
    assert f"/reviews/lines/{line.id}" in client.get(f"/orders/{order.reference}").get_data(as_text=True)
    url = f"/reviews/lines/{line.id}"
    assert post_form(client, url, {"stars": "9"}).status_code == 400
    response = post_form(client, url, {"stars": "5", "text": "Lovely <b>eggs</b>"})
    assert response.status_code == 302 and review_count() == 1
    assert client.get(url).status_code == 403  # already reviewed
    page = client.get(f"/listings/{listing.slug}").get_data(as_text=True)
    assert "1 review" in page and "5.0 of 5" in page and "Lovely &lt;b&gt;eggs&lt;/b&gt;" in page
    assert "Ann" in page and "Buyer" not in page
    assert "Grandpa Li" not in page  # the elder did not consent
    elder.consent_public = True
    db.session.commit()
    assert "With Grandpa Li" in client.get(f"/listings/{listing.slug}").get_data(as_text=True)
    [review] = db.session.scalars(select(Review))
    # The home replies once.
    client.delete_cookie("session")
    login(client, staff)
    reviews_page = f"/manage/{home.slug}/impact/reviews"
    reply_url = f"/manage/{home.slug}/impact/reviews/reply"
    assert post_form(client, reply_url, {"review": review.id, "reply": "Thank you!"},
                     form_url=reviews_page).status_code == 302
    assert post_form(client, reply_url, {"review": review.id, "reply": "Again"},
                     form_url=reviews_page).status_code == 400
    db.session.refresh(review)
    assert review.reply == "Thank you!"
    # Three different people report it: its words are hidden, its stars still count.
    for n in range(3):
        client.delete_cookie("session")
        login(client, make.user())
        listing_url = f"/listings/{listing.slug}"
        response = post_form(client, "/reviews/report", {"review": review.id, "reason": "rude",
                                                         "next": listing_url}, form_url=listing_url)
        assert response.status_code == 302, n
        assert post_form(client, "/reviews/report", {"review": review.id}, form_url=listing_url
                         ).status_code in (409, 400)
    page = client.get(f"/listings/{listing.slug}").get_data(as_text=True)
    assert "Lovely" not in page and "hidden after reports" in page and "1 review" in page


def test_another_homes_staff_cannot_reply(client, make):
    buyer = make.user()
    _order, line = _bought(make, buyer)
    review = reviews.write_review(buyer, line.id, 2, "late")
    other = make.home()
    login(client, make.member(other, "staff"))
    response = post_form(client, f"/manage/{other.slug}/impact/reviews/reply",
                         {"review": review.id, "reply": "not ours"},
                         form_url=f"/manage/{other.slug}/impact/reviews")
    assert response.status_code == 400
    db.session.refresh(review)
    assert review.reply is None


def test_short_name():
    assert reviews.short_name("Ann Buyer") == "Ann" and reviews.short_name("李明") == "李*"
