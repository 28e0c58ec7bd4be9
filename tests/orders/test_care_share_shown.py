"""The care share in money before paying: the cart and checkout show, per line and in total, what
goes to the care fund and to the credited elder — and that is exactly what the ledger books once
the order is paid."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from market.orders import cart as carts
from models import Posting, db
from tests.conftest import post_form
from tests.factories import check_out, pay_offline


def _booked(order) -> dict[tuple[int, str], int]:
    """(order line id, share) → what the sale entry credited (positive fen)."""
    rows = db.session.execute(
        select(Posting.order_line_id, Posting.share, Posting.amount)
        .where(Posting.order_line_id.in_([line.id for line in order.lines]), Posting.amount < 0)
    ).all()
    return {(line_id, share): -amount for line_id, share, amount in rows}


def _cart_with_an_elder_tour_and_goods(make, owner, *, price=3333, seats=3, units=7):
    home = make.home(care_share_bps=1750)
    elder = make.elder(home, incentive_bps=850, display_name_zh="李爷爷", display_name_en="Grandpa Li")
    tour = make.listing(home, "tour", price_fen=price, title_zh="红色故事", title_en="Red stories")
    session = make.session(tour, elder_id=elder.id)
    rice = make.listing(make.home(care_share_bps=2000), "produce", price_fen=1999, stock=50)
    carts.add_to_cart(owner, tour.id, session_id=session.id, quantity=str(seats))
    carts.add_to_cart(owner, rice.id, quantity=str(units))
    return tour, rice


def test_cart_and_checkout_show_each_lines_care_and_elder_share_and_the_totals(client, make, english):
    home = make.home(care_share_bps=1750, name_en="Qiantun Home")
    elder = make.elder(home, incentive_bps=850, display_name_en="Grandpa Li")
    tour = make.listing(home, "tour", price_fen=3333, title_en="Red stories")
    session = make.session(tour, elder_id=elder.id)
    other = make.home(name_en="Guantian Home")
    rice = make.listing(other, "produce", price_fen=1999, stock=50, title_en="Rice")
    post_form(client, "/cart/add", {"listing_id": tour.id, "session_id": session.id, "quantity": "3"},
              form_url=f"/listings/{tour.slug}")
    post_form(client, "/cart/add", {"listing_id": rice.id, "quantity": "7"},
              form_url=f"/listings/{rice.slug}")
    # 3 × 33.33 = 99.99: care 17.50% = 17.49825 → 17.50, elder 8.5% = 8.49915 → 8.50
    # 7 × 19.99 = 139.93: care 20% = 27.986, but the fee (.65) and operations (.75) have the
    # larger remainders → 27.98
    for url in ("/cart", "/checkout"):
        page = client.get(url).get_data(as_text=True)
        assert "CN¥17.50 to the care fund of Qiantun Home" in page, url
        assert "CN¥8.50 to the storyteller Grandpa Li" in page, url
        assert "CN¥27.98 to the care fund of Guantian Home" in page, url
        assert "Of this, CN¥45.48 goes to the homes’ care funds" in page.replace("'", "’"), url
        assert "CN¥8.50 goes to the elders" in page, url


def test_an_elder_who_did_not_agree_to_be_shown_is_not_named(client, make, english):
    home = make.home()
    elder = make.elder(home, consent_public=False, display_name_en="Secret Name", role="artisan")
    paper = make.listing(home, "craft", elder_id=elder.id, price_fen=10000, stock=5)
    post_form(client, "/cart/add", {"listing_id": paper.id, "quantity": "1"},
              form_url=f"/listings/{paper.slug}")
    page = client.get("/cart").get_data(as_text=True)
    assert "CN¥5.00 to the artisan" in page
    assert "Secret Name" not in page


def test_what_the_cart_shows_is_what_the_ledger_books(app, make):
    owner = "s:shown"
    _cart_with_an_elder_tour_and_goods(make, owner)
    review = carts.review_cart(owner)
    shown = {(line.listing.id, share): fen for line in review.lines for share, fen in line.shares.items()}
    care, incentive = review.care_fen, review.incentive_fen
    orders = check_out(owner)
    booked = {}
    for order in orders:
        pay_offline(order)
        for (line_id, share), fen in _booked(order).items():
            line = next(line for line in order.lines if line.id == line_id)
            booked[(line.listing_id, share)] = fen
    assert {k: v for k, v in shown.items() if v} == booked
    assert sum(v for (_l, share), v in booked.items() if share == "care") == care
    assert sum(v for (_l, share), v in booked.items() if share == "incentive") == incentive


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(price=st.integers(1, 200_000), seats=st.integers(1, 9), units=st.integers(1, 40),
       care=st.integers(0, 6000), incentive=st.integers(0, 3000))
def test_property_cart_shares_equal_ledger_postings(app, make, price, seats, units, care, incentive):
    app.config["SEARCH_SYNC"] = False  # the search index is not what this test is about
    owner = f"s:p{make._next()}"
    home = make.home(care_share_bps=care)
    elder = make.elder(home, incentive_bps=incentive)
    tour = make.listing(home, "tour", price_fen=price)
    session = make.session(tour, elder_id=elder.id)
    goods = make.listing(home, "craft", price_fen=price, stock=100, elder_id=elder.id)
    carts.add_to_cart(owner, tour.id, session_id=session.id, quantity=str(seats))
    carts.add_to_cart(owner, goods.id, quantity=str(units))
    review = carts.review_cart(owner)
    shown = [line.shares for line in review.lines]
    care = review.care_fen
    assert [sum(shares.values()) for shares in shown] == [line.amount_fen for line in review.lines]
    [order] = check_out(owner)
    pay_offline(order)
    booked = _booked(order)
    for shares, order_line in zip(shown, order.lines, strict=True):
        for share, fen in shares.items():
            assert booked.get((order_line.id, share), 0) == fen
    assert care == sum(v for (_l, share), v in booked.items() if share == "care")

