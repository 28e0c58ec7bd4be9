"""The public pages: what a listing page tells a visitor, what a home page shows, and that
browsing by kind, place and home narrows to exactly those listings, however deep the page."""

import re
from datetime import UTC, datetime

import pytest

from market.catalog.service import PAGE_SIZE
from models import Listing, db

LISTING_LINK = re.compile(r'href="(?:http://localhost)?/listings/([^"]+)"')


def _page(client, url: str, lang: str = "zh_Hans") -> str:
    client.set_cookie("lang", lang)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _main(html: str) -> str:
    """The page's own content, without the header and footer every page shares."""
    return html.split('<main id="main">', 1)[1].split("</main>", 1)[0]


def _slugs(html: str) -> list[str]:
    return LISTING_LINK.findall(_main(html))


@pytest.fixture
def qiantun(make):
    return make.home(slug="qiantun", name_zh="前屯村幸福院", name_en="Qiantun Village Happiness Home",
                     care_share_bps=2000)


# ---- the listing page --------------------------------------------------------------------

@pytest.mark.parametrize("lang, sentence", [
    ("zh_Hans", "此价格的 20% 进入前屯村幸福院的养老互助基金。"),
    ("en", "20% of this price goes to Qiantun Village Happiness Home's care fund."),
])
def test_listing_states_the_care_share_in_plain_words(client, make, qiantun, lang, sentence):
    listing = make.listing(qiantun)
    assert sentence in _page(client, f"/listings/{listing.slug}", lang)


def test_a_listing_s_own_care_share_replaces_the_home_s(client, make, qiantun):
    listing = make.listing(qiantun, care_share_bps=1500)
    html = _page(client, f"/listings/{listing.slug}", "en")
    assert "15% of this price goes to Qiantun Village Happiness Home's care fund." in html


@pytest.mark.parametrize("lang, eight_left, full", [
    ("zh_Hans", "还剩 8 个名额", "已满"), ("en", "8 seats left", "Full"),
])
def test_tour_shows_seats_left_per_upcoming_session_once(client, make, qiantun, lang, eight_left, full):
    """Each upcoming session is one choice of the booking form, with its seats left; a full one
    cannot be chosen; and the page does not list the sessions a second time."""
    tour = make.listing(qiantun, kind="tour")
    make.session(tour, days=3, capacity=10, reserved=2)
    make.session(tour, days=5, capacity=6, reserved=6)
    make.session(tour, days=-1, capacity=40, reserved=1)  # over: not offered any more
    page = _page(client, f"/listings/{tour.slug}", lang)
    choices = re.findall(r'<label class="choice[^"]*">(.*?)</label>', page, re.S)
    assert len(choices) == 2
    assert eight_left in choices[0] and "disabled" not in choices[0]
    assert full in choices[1] and "disabled" in choices[1]
    # the past session (39 seats left) is not offered; its number alone could be a clock's minute
    assert eight_left.replace("8", "39") not in re.sub(r"<[^>]+>", "", "".join(choices))
    assert page.count(eight_left) == 1 and 'id="availability-heading"' not in page


def test_homestay_rooms_are_listed_once_as_choices(client, make, qiantun):
    stay = make.listing(qiantun, kind="homestay")
    make.room(stay, name_zh="观茶房", nightly_price_fen=18800, max_guests=2)
    page = _page(client, f"/listings/{stay.slug}")
    choices = re.findall(r'<label class="choice[^"]*">(.*?)</label>', page, re.S)
    assert len(choices) == 1 and "观茶房" in choices[0] and "¥188" in choices[0]
    assert page.count("观茶房") == 1


@pytest.mark.parametrize("lang, seven_left, sold_out", [
    ("zh_Hans", "还剩 7 件", "已售完"), ("en", "7 left", "Sold out"),
])
def test_goods_show_stock_left_or_sold_out(client, make, qiantun, lang, seven_left, sold_out):
    rice = make.listing(qiantun, kind="produce", stock=10, reserved=3)
    gone = make.listing(qiantun, kind="craft", stock=4, reserved=4)
    assert seven_left in _page(client, f"/listings/{rice.slug}", lang)
    page = _page(client, f"/listings/{gone.slug}", lang)
    assert sold_out in page and 'action="/cart/add"' not in page.replace("http://localhost", "")


@pytest.mark.parametrize("lang, words", [
    ("zh_Hans", "接单制作，约 5 天做好"), ("en", "Made to order, ready in 5 days"),
])
def test_made_to_order_goods_say_when_they_are_ready(client, make, qiantun, lang, words):
    paper = make.listing(qiantun, kind="craft", stock=None, made_to_order=True, lead_days=5)
    assert words in _page(client, f"/listings/{paper.slug}", lang)


def test_ships_to_names_provinces_in_the_reader_s_language(client, make, qiantun):
    tea = make.listing(qiantun, kind="produce", ships_to="河北省,北京市")
    assert "配送地区：河北省、北京市" in _page(client, f"/listings/{tea.slug}")
    english = _page(client, f"/listings/{tea.slug}", "en")
    # (The shipping form's option values are the stored names; what is read is in English.)
    shown = re.sub(r'value="[^"]*"', "", _main(english))
    assert "Ships to: Hebei, Beijing" in english and "河北省" not in shown


def test_credited_elder_is_named_only_with_consent(client, make, qiantun):
    shown = make.elder(qiantun, display_name_zh="王奶奶", display_name_en="Grandma Wang")
    private = make.elder(qiantun, display_name_zh="李爷爷", display_name_en="Grandpa Li",
                         consent_public=False)
    with_shown = make.listing(qiantun, kind="tour", elder_id=shown.id)
    with_private = make.listing(qiantun, kind="tour", elder_id=private.id)
    assert "由讲述人王奶奶带领" in _page(client, f"/listings/{with_shown.slug}")
    assert "With storyteller Grandma Wang" in _page(client, f"/listings/{with_shown.slug}", "en")
    for lang in ("zh_Hans", "en"):
        page = _page(client, f"/listings/{with_private.slug}", lang)
        assert "李爷爷" not in page and "Grandpa Li" not in page


def test_home_page_shows_only_consenting_elders_and_published_listings(client, make, qiantun):
    make.elder(qiantun, display_name_zh="王奶奶", display_name_en="Grandma Wang",
               bio_zh="会讲村史", bio_en="Tells the village's story")
    make.elder(qiantun, display_name_zh="李爷爷", display_name_en="Grandpa Li", consent_public=False)
    published = make.listing(qiantun)
    draft = make.listing(qiantun, status="draft")
    chinese = _page(client, "/homes/qiantun")
    assert "王奶奶" in chinese and "会讲村史" in chinese and "李爷爷" not in chinese
    english = _page(client, "/homes/qiantun", "en")
    assert "Grandma Wang" in english and "Grandpa Li" not in english
    assert _slugs(chinese) == [published.slug] and draft.slug not in chinese


# ---- browsing ----------------------------------------------------------------------------

@pytest.fixture
def two_provinces(make):
    """Two homes in same-named counties of different provinces, and one elsewhere."""
    hebei = make.home(slug="hebei-home", province_zh="河北省", province_en="Hebei",
                      county_zh="城关镇", county_en="Chengguan")
    anhui = make.home(slug="anhui-home", province_zh="安徽省", province_en="Anhui",
                      county_zh="城关镇", county_en="Chengguan")
    jiangxi = make.home(slug="jiangxi-home", province_zh="江西省", province_en="Jiangxi",
                        county_zh="余江区", county_en="Yujiang")
    listings = {}
    for home in (hebei, anhui, jiangxi):
        for kind in ("tour", "produce"):
            listings[home.slug, kind] = make.listing(home, kind=kind).slug
    return listings


def _expected(listings, **match) -> list[str]:
    wanted = [slug for (home, kind), slug in listings.items()
              if match.get("home", home) == home and match.get("kind", kind) == kind]
    return sorted(wanted)


def test_browse_by_kind_shows_only_that_kind(client, two_provinces):
    assert sorted(_slugs(_page(client, "/kind/tour"))) == _expected(two_provinces, kind="tour")
    assert sorted(_slugs(_page(client, "/browse?kind=produce"))) == _expected(two_provinces,
                                                                              kind="produce")


def test_browse_by_province_and_county_keeps_same_named_counties_apart(client, two_provinces):
    by_province = _slugs(_page(client, "/browse?province=河北省"))
    assert sorted(by_province) == _expected(two_provinces, home="hebei-home")
    # The county list sends "province/county": Hebei's 城关镇 is not Anhui's.
    by_county = _slugs(_page(client, "/browse?county=安徽省/城关镇"))
    assert sorted(by_county) == _expected(two_provinces, home="anhui-home")
    both = _slugs(_page(client, "/kind/tour?province=河北省&county=城关镇"))
    assert both == [two_provinces["hebei-home", "tour"]]


def test_browse_form_offers_provinces_and_counties_with_their_province(client, two_provinces):
    form = _page(client, "/browse?county=安徽省/城关镇", "en").split('class="filters"')[1].split("</form>")[0]
    province_select = form.split('name="province"')[1].split("</select>")[0]
    assert re.findall(r"<option value=\"([^\"]*)\"", province_select) == ["", "安徽省", "江西省", "河北省"]
    assert ">Anhui</option>" in province_select
    county_select = form.split('name="county"')[1].split("</select>")[0]
    values = re.findall(r'<option value="([^"]*)"', county_select)
    assert values == ["", "安徽省/城关镇", "江西省/余江区", "河北省/城关镇"]
    assert re.search(r'value="安徽省/城关镇"\s+selected', county_select)
    assert not re.search(r'value="河北省/城关镇"\s+selected', county_select)


def test_browse_by_home(client, two_provinces):
    assert sorted(_slugs(_page(client, "/browse?home=jiangxi-home"))) == _expected(
        two_provinces, home="jiangxi-home")


def _many_listings(home, count: int, kind: str = "produce") -> None:
    db.session.add_all(
        Listing(home_id=home.id, kind=kind, slug=f"bulk-{kind}-{n}", status="published",
                title_zh=f"商品{n}", title_en=f"Item {n}", description_zh="描述",
                description_en="About", price_fen=1000 + n, stock=5)
        for n in range(count)
    )
    db.session.commit()


@pytest.mark.parametrize("query", ["", "kind=produce&"])
def test_next_links_page_by_keyset_and_match_the_numbered_pages(client, make, query):
    home = make.home()
    _many_listings(home, PAGE_SIZE * 3 + 5)
    _many_listings(home, 7, kind="craft")  # interleaved ids: the kind filter must skip them
    url = f"/browse?{query}page=1"
    seen = []
    for number in range(1, 5):
        html = _page(client, url)
        page = _slugs(html)
        assert page == _slugs(_page(client, f"/browse?{query}page={number}"))  # the offset page
        seen += page
        link = re.search(r'rel="next" href="([^"]+)"', html)
        if link is None:
            break
        url = link.group(1).replace("&amp;", "&")
        assert f"page={number + 1}" in url and "after=" in url
    total = PAGE_SIZE * 3 + 5 + (0 if query else 7)
    assert number == 4 and len(seen) == len(set(seen)) == total


# ---- how prices and times read -----------------------------------------------------------

def test_homestay_price_reads_from_price_per_night(client, make, qiantun):
    stay = make.listing(qiantun, kind="homestay", price_fen=10800)
    make.room(stay, nightly_price_fen=10800)
    english = _page(client, f"/listings/{stay.slug}", "en")
    assert "from CN¥108 / night" in english and "108.00" not in _main(english)
    assert "from CN¥108 / night" in _page(client, "/kind/homestay", "en")  # the card
    chinese = _main(_page(client, f"/listings/{stay.slug}"))
    assert "¥108" in chinese and "108.00" not in chinese


def test_prices_keep_their_fen_when_not_whole(client, make, qiantun):
    tea = make.listing(qiantun, kind="produce", price_fen=6850, unit_zh="斤", unit_en="jin")
    assert "¥68.50 / 斤" in _page(client, f"/listings/{tea.slug}")
    assert "CN¥68.50 / jin" in _page(client, f"/listings/{tea.slug}", "en")


@pytest.mark.parametrize("lang, when", [
    ("zh_Hans", "2030年12月2日星期一 14:00"), ("en", "Monday, December 2, 2030, 2:00 PM"),
])
def test_session_times_read_to_the_minute_with_the_month_by_name(client, make, qiantun, lang, when):
    tour = make.listing(qiantun, kind="tour")
    make.session(tour, starts_at=datetime(2030, 12, 2, 6, 0, tzinfo=UTC))  # 14:00 in the village
    page = _main(_page(client, f"/listings/{tour.slug}", lang)).replace("\u202f", " ")
    assert page.count(when) == 1  # once: the booking form's choice (not listed twice)
    assert "14:00:00" not in page and "2:00:00" not in page and "12/2/30" not in page


def test_each_session_is_a_choice_and_full_ones_cannot_be_chosen(client, make, qiantun):
    tour = make.listing(qiantun, kind="tour")
    full = make.session(tour, days=2, capacity=4, reserved=4)
    open_ = make.session(tour, days=3, capacity=4, reserved=1)
    later = make.session(tour, days=4, capacity=4)
    page = _page(client, f"/listings/{tour.slug}")
    radios = dict(re.findall(r'<input type="radio" name="session_id" value="(\d+)"([^>]*)>', page))
    assert set(radios) == {str(full.id), str(open_.id), str(later.id)}
    assert "disabled" in radios[str(full.id)]
    assert "checked" in radios[str(open_.id)] and "checked" not in radios[str(later.id)]
