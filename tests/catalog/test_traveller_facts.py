"""Facts a traveller expects before booking: how long, where to meet and how to get there (with a
map link), what the price includes and the cancellation policy in plain words; goods sold by
their own unit (刀 for rice paper); the home's staff keep these facts up to date."""

import pytest
from sqlalchemy import func, select

from models import Listing, db
from tests.conftest import login, post_form


def _main(page: str) -> str:
    return page[page.index("<main"):page.index("</main>")]


def test_tour_page_says_how_long_where_to_meet_what_is_included_and_the_policy(client, make, english):
    tour = make.listing(make.home(), "tour", cancel_hours=24, included_en="Tea and dates\n- A guide",
                        directions_en="Bus 12 to the village gate.",
                        map_url="https://uri.amap.com/marker?x=1")
    make.session(tour, duration_minutes=150, meeting_point_en="The old locust tree")
    page = _main(client.get(f"/listings/{tour.slug}").get_data(as_text=True))
    facts = page[page.index("Good to know"):]
    assert "2 hours 30 minutes" in facts
    assert "The old locust tree" in facts and "Bus 12 to the village gate." in facts
    assert 'href="https://uri.amap.com/marker?x=1"' in facts
    assert "<li>Tea and dates</li>" in facts and "<li>A guide</li>" in facts
    assert "up to 24 hours before the start, and get all your money back" in facts


def test_homestay_page_gives_check_in_and_the_default_policy_in_chinese(client, make):
    stay = make.listing(make.home(), "homestay", directions_zh="村口右转第三家。")
    make.room(stay)
    page = _main(client.get(f"/listings/{stay.slug}").get_data(as_text=True))
    assert "出发前要知道" in page and "下午两点" in page and "村口右转第三家。" in page
    assert "开始前 72 小时以前可以免费取消" in page


def test_a_map_link_that_is_not_http_is_not_shown(client, make):
    tour = make.listing(make.home(), "tour", map_url="javascript:alert(1)")
    make.session(tour)
    assert "javascript:" not in client.get(f"/listings/{tour.slug}").get_data(as_text=True)


def test_goods_are_sold_by_their_own_unit(client, make, english):
    paper = make.listing(make.home(), "craft", unit_zh="刀", unit_en="ream", price_fen=12000, stock=9)
    page = client.get(f"/listings/{paper.slug}").get_data(as_text=True)
    assert "Quantity (ream)" in page
    post_form(client, "/cart/add", {"listing_id": paper.id, "quantity": "3"},
              form_url=f"/listings/{paper.slug}")
    cart = _main(client.get("/cart").get_data(as_text=True))
    assert "3 ream × CN¥120.00" in cart
    client.get("/lang/zh_Hans")
    assert "3 刀 × ¥120.00" in _main(client.get("/cart").get_data(as_text=True))


# ---- the staff keep the facts -------------------------------------------------------------------

@pytest.fixture
def staff(client, make):
    home = make.home(slug="qiantun")
    login(client, make.member(home, "staff"))
    return home


FORM = {"title_zh": "红色故事", "title_en": "Red stories", "description_zh": "听", "description_en": "Listen",
        "tags": "", "price": "68", "elder_id": "0", "care_share": "", "cancel_hours": "24"}


def test_staff_save_the_facts(client, staff):
    response = post_form(client, "/manage/qiantun/listings/new/tour", {
        **FORM, "included_zh": "茶水\n讲解", "included_en": "Tea\nA guide", "directions_zh": "坐12路",
        "directions_en": "Bus 12", "map_url": "https://uri.amap.com/marker?position=114.8,36.55"})
    assert response.status_code == 302
    listing = db.session.scalar(select(Listing))
    assert (listing.included_zh, listing.directions_en) == ("茶水\n讲解", "Bus 12")
    assert listing.map_url == "https://uri.amap.com/marker?position=114.8,36.55"
    edit = client.get(f"/manage/qiantun/listings/{listing.id}/edit").get_data(as_text=True)
    assert "坐12路" in edit and "uri.amap.com" in edit


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x", "https://a b", "https://" + "x" * 300])
def test_a_bad_map_link_is_refused_and_nothing_is_saved(client, staff, english, url):
    response = post_form(client, "/manage/qiantun/listings/new/tour", {**FORM, "map_url": url})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "starting with https://" in text and "has-error" in text
    assert db.session.scalar(select(func.count(Listing.id))) == 0


def test_the_demo_tours_and_stays_have_their_facts(app):
    from market.demo.seed import seed

    app.config["SEARCH_SYNC"] = False
    seed()
    for listing in db.session.scalars(select(Listing).where(Listing.kind.in_(("tour", "homestay")))):
        assert listing.directions_zh and listing.directions_en and listing.included_zh, listing.slug
        assert listing.map_url.startswith("https://"), listing.slug
    paper = db.session.scalar(select(Listing).where(Listing.slug == "xiaoling-xuan-paper-four-chi"))
    assert (paper.unit_zh, paper.unit_en) == ("刀", "ream")  # rice paper by the 刀, not 件
