"""Rates: a sale's care share, elder incentive and platform fee never add up to more than 100%.

The admin's home form, the staff's listing, session and elder forms refuse a change that would
break this, checkout refuses a line whose rates break it anyway (before any money is taken),
and the allocation refuses it as the last guard.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from market import create_app
from market.ledger.allocation import AllocationError, rates_fit, split_line
from market.orders.errors import OrderError
from models import Home, Listing, Order, db
from tests.conftest import login, post_form
from tests.factories import buy

pytestmark = pytest.mark.usefixtures("english")  # these tests check English wording

FEE = 500  # the configured platform fee in these tests (5%)


@pytest.fixture
def rated(app, make):
    """A home (care 20%) with a listing crediting an elder of 30%, and a tour whose session
    credits an elder of 40%."""
    app.config["PLATFORM_FEE_BPS"] = FEE
    home = make.home(care_share_bps=2000)
    elder = make.elder(home, incentive_bps=3000)
    storyteller = make.elder(home, incentive_bps=4000)
    goods = make.listing(home, elder_id=elder.id)
    tour = make.listing(home, "tour")
    make.session(tour, elder_id=storyteller.id)
    return home, elder, storyteller, goods, tour


def _home_form(home, care_share):
    fields = {name: getattr(home, name) for name in (
        "slug", "name_zh", "name_en", "province_zh", "province_en", "county_zh", "county_en",
        "village_zh", "village_en", "story_zh", "story_en", "status")}
    return {**fields, "care_share": care_share}


@pytest.mark.parametrize("care_share, message", [
    ("55.01", "would add up to more than the price of"),  # 55.01 + 40 (the session's elder) + 5
    ("96", "add up to more than the price"),  # with the fee alone
    ("100", "add up to more than the price"),
    ("-5", "Enter a percentage from 0 to 100"),
    ("１０１", "Enter a percentage from 0 to 100"),
])
def test_admin_home_form_refuses_a_care_share_over_the_whole_price(client, make, rated, care_share, message):
    home, *_ = rated
    login(client, make.user(is_admin=True))
    response = post_form(client, f"/admin/homes/{home.id}/edit", _home_form(home, care_share))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Home, home.id).care_share_bps == 2000


def test_admin_home_form_accepts_the_share_that_just_fits(client, make, rated):
    home, *_ = rated
    login(client, make.user(is_admin=True))
    response = post_form(client, f"/admin/homes/{home.id}/edit", _home_form(home, "55"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Home, home.id).care_share_bps == 5500


def test_admin_new_home_refuses_a_care_share_the_fee_leaves_no_room_for(client, make, app):
    app.config["PLATFORM_FEE_BPS"] = FEE
    login(client, make.user(is_admin=True))
    data = {"slug": "new-home", "name_zh": "新村幸福院", "name_en": "New", "province_zh": "河北省",
            "province_en": "Hebei", "county_zh": "县", "county_en": "County", "village_zh": "村",
            "village_en": "Village", "care_share": "95.01", "status": "active"}
    response = post_form(client, "/admin/homes/new", data, form_url="/admin/homes/new")
    assert response.status_code == 400 and "add up to more than the price" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Home.id))) == 0


def _listing_form(listing, **fields):
    data = {"title_zh": listing.title_zh, "title_en": listing.title_en, "description_zh": "",
            "description_en": "", "tags": "", "price": "50.00", "elder_id": str(listing.elder_id or 0),
            "care_share": "", "cancel_hours": "24", "stock": "10", "unit_zh": "斤", "unit_en": "jin"}
    data.update(fields)
    return data


@pytest.mark.parametrize("which, care_share", [("goods", "65.01"), ("tour", "55.01")])
def test_staff_listing_form_refuses_an_override_over_the_whole_price(client, make, rated, which, care_share):
    home, _elder, _storyteller, goods, tour = rated
    listing = goods if which == "goods" else tour  # the tour: its session's elder counts
    login(client, make.member(home, "staff"))
    response = post_form(client, f"/manage/{home.slug}/listings/{listing.id}/edit",
                         _listing_form(listing, care_share=care_share))
    assert response.status_code == 400
    assert "add up to more than the price" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Listing, listing.id).care_share_bps is None
    fits = f"{float(care_share) - 0.01:.2f}"
    response = post_form(client, f"/manage/{home.slug}/listings/{listing.id}/edit",
                         _listing_form(listing, care_share=fits))
    assert response.status_code == 302


def test_staff_elder_form_refuses_an_incentive_over_the_whole_price(client, make, rated):
    home, elder, _storyteller, goods, _tour = rated
    goods.care_share_bps = 6000
    db.session.commit()
    login(client, make.member(home, "staff"))
    data = {"display_name_zh": elder.display_name_zh, "display_name_en": "", "role": "storyteller",
            "bio_zh": "", "bio_en": "", "consent_public": "y", "incentive": "35.01"}
    response = post_form(client, f"/manage/{home.slug}/elders/{elder.id}/edit", data)
    assert response.status_code == 400
    assert "would add up to more than the price of" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(elder), elder.id).incentive_bps == 3000


def test_session_crediting_an_elder_over_the_whole_price_refused(make, rated):
    from datetime import time, timedelta

    from market.manage import inventory
    from market.manage import service as manage
    from models import utcnow

    home, _elder, storyteller, _goods, tour = rated
    tour.care_share_bps = 6000
    db.session.commit()
    data = inventory.SessionInput(day=(utcnow() + timedelta(days=9)).date(), start=time(9, 0),
                               duration_minutes=60, capacity=5, elder_id=storyteller.id)
    with pytest.raises(manage.ManageError, match="add up to more than the price"):
        inventory.add_session(home, tour, data)


def test_checkout_refuses_a_line_whose_rates_exceed_the_price(app, make, rated):
    """Rates broken behind the forms' back (a raised fee, a raw update): no order is placed."""
    home, _elder, _storyteller, goods, _tour = rated
    app.config["PLATFORM_FEE_BPS"] = 8000  # 20% care + 30% incentive + 80% fee
    with pytest.raises(OrderError, match="cannot be bought at the moment"):
        buy("s:rates", listing_id=goods.id, quantity=1)
    assert db.session.scalar(select(func.count(Order.id))) == 0


@pytest.mark.parametrize("fee", [-1, 10_001, "500", 5.5])
def test_the_app_refuses_to_start_with_a_bad_platform_fee(fee):
    with pytest.raises(RuntimeError, match="PLATFORM_FEE_BPS"):
        create_app({"PLATFORM_FEE_BPS": fee, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


rate = st.integers(-20_000, 20_000)


@given(st.integers(0, 10**9), rate, rate, rate)
def test_allocation_splits_only_rates_that_fit_the_whole_price(amount, care, incentive, fee):
    fits = care >= 0 and incentive >= 0 and fee >= 0 and care + incentive + fee <= 10_000
    assert rates_fit(care, incentive, fee) is fits
    if fits:
        shares = split_line(amount, care, incentive, fee)
        assert sum(shares.values()) == amount and min(shares.values()) >= 0
    else:
        with pytest.raises(AllocationError):
            split_line(amount, care, incentive, fee)


@pytest.mark.parametrize("rates", [(True, 0, 0), (2000.0, 0, 0), (None, 0, 0), (2000, "500", 0)])
def test_allocation_refuses_rates_that_are_not_whole_basis_points(rates):
    assert not rates_fit(*rates)
    with pytest.raises(AllocationError):
        split_line(100, *rates)
