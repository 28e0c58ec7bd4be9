"""The search page: one box on every page, results with highlights, facets, sorts, filters,
paging, nothing-found help, and bad input that never gives a 500."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from market import clock
from market.search import service
from market.search.backend import price_band
from models import Home, Listing, OrderLine, RoomNight, db
from tests.search.search_fixtures import build_catalog


@pytest.fixture
def catalog(make):
    return build_catalog(make)


def page_text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def result_slugs(html: str) -> list[str]:
    return re.findall(r'class="search-hit">\s*<a href="/listings/([^"]+)"', html)


def test_search_box_on_every_page(client, catalog):
    for url in ("/", "/browse", "/kind/tour", "/homes/xiaoling", "/listings/xuan-paper", "/login"):
        html = page_text(client, url)
        assert 'action="/search"' in html and 'name="q"' in html, url


def test_results_show_title_home_village_price_kind_next_date_and_highlight(client, catalog):
    html = page_text(client, "/search?q=" + quote("宣纸"))
    assert result_slugs(html)[0] == "xuan-paper"
    assert "泾县手工<mark>宣纸</mark>" in html
    assert "小岭村幸福院" in html and "¥128 /" in html  # a whole-yuan price reads without .00
    assert "手工" in html or "Handicrafts" in html  # kind name
    tour_date = clock.local_today(catalog["paper_session"].starts_at)
    assert str(tour_date.day) in html


def test_pinyin_query_highlights_the_chinese_word(client, catalog):
    html = page_text(client, "/search?q=xuanzhi")
    assert "<mark>宣纸</mark>" in html


def test_spaced_pinyin_highlights_the_word_it_spells_not_each_syllable(client, catalog):
    html = page_text(client, "/search?q=" + quote("xuan zhi"))
    assert "<mark>宣纸</mark>制作体验课" in html  # not 制作 (zhi zuo)
    assert "捞纸、晒纸" in html and "一张纸" in html  # nor a lone 纸
    html = page_text(client, "/search?q=zhi")  # one syllable alone marks what it spells
    assert "一张<mark>纸</mark>" in html


def test_english_query_highlights_the_chinese_word_it_glosses(client, catalog):
    html = page_text(client, "/search?q=" + quote("rice paper"))  # the Chinese interface
    assert "泾县手工<mark>宣纸</mark>" in html


def test_highlights_escape_everything_else(client, make):
    home = make.home()
    make.listing(home, "craft", slug="xss",
                 title_zh='<script>alert(1)</script>宣纸<img src=x onerror=alert(2)>',
                 description_zh="<b>宣纸</b>&amp;")
    html = page_text(client, "/search?q=" + quote("宣纸 <script>"))
    assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b>" not in html
    assert "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;<mark>宣纸</mark>&lt;img" in html
    assert "&lt;b&gt;<mark>宣纸</mark>&lt;/b&gt;&amp;amp;" in html
    html = page_text(client, "/search?q=" + quote('"><script>alert(3)</script>'))
    assert "<script>alert(3)" not in html


def test_facet_counts_equal_the_database(client, catalog):
    page = service.search(service.SearchRequest())
    visible = (select(Listing.kind, Home.province_zh, Home.id, Listing.price_fen)
               .join(Home, Home.id == Listing.home_id)
               .where(Listing.status == "published", Home.status == "active"))
    rows = db.session.execute(visible).all()
    assert page.total == len(rows)
    expect = {"kind": {}, "province": {}, "home": {}, "price_band": {}}
    for kind, province, home_id, price in rows:
        for name, value in (("kind", kind), ("province", province), ("home", str(home_id)),
                            ("price_band", price_band(price))):
            expect[name][value] = expect[name].get(value, 0) + 1
    for name, values in page.facets.items():
        assert {value: count for value, _label, count in values} == expect[name], name
    # Within a search and a filter too.
    page = service.search(service.SearchRequest(q="宣纸", kind="craft"))
    assert {v: c for v, _l, c in page.facets["kind"]} == {"craft": 2}
    db_count = db.session.scalar(
        select(func.count()).select_from(Listing).join(Home, Home.id == Listing.home_id)
        .where(Listing.status == "published", Home.status == "active", Listing.kind == "tour"))
    html = page_text(client, "/search")
    assert "/search?kind=tour\">" in html.replace("&amp;", "&") or f"({db_count})" in html


def test_filters_by_kind_province_home_and_price(client, catalog):
    assert set(result_slugs(page_text(client, "/search?kind=tour"))) == {
        "red-stories", "village-change", "paper-workshop"}
    html = page_text(client, "/search?province=" + quote("江西省"))
    assert set(result_slugs(html)) == {"green-tea", "tea-house-stay", "eggs"}
    html = page_text(client, f"/search?home={catalog['anhui'].id}&q=" + quote("宣纸"))
    assert set(result_slugs(html)) == {"xuan-paper", "paper-workshop", "heritage-fan"}
    html = page_text(client, "/search?price=50-100")
    assert set(result_slugs(html)) == {"red-stories", "green-tea"}


def test_sorts(client, catalog):
    by_price = result_slugs(page_text(client, "/search?sort=price"))
    prices = [db.session.scalar(select(Listing.price_fen).where(Listing.slug == s)) for s in by_price]
    assert prices == sorted(prices) and len(prices) == 8
    by_price_desc = result_slugs(page_text(client, "/search?sort=price_desc"))
    assert by_price_desc == list(reversed(by_price))
    soonest = result_slugs(page_text(client, "/search?sort=soonest&kind=tour"))
    # red-stories has a session in 3 days, paper-workshop in 10, village-change none.
    assert soonest == ["red-stories", "paper-workshop", "village-change"]


def test_tour_date_filter(client, catalog):
    day = clock.local_today(catalog["session"].starts_at)
    html = page_text(client, f"/search?date={day.isoformat()}")
    assert result_slugs(html) == ["red-stories"]
    html = page_text(client, f"/search?date={(day + timedelta(days=1)).isoformat()}")
    assert result_slugs(html) == [] and "nothing-found" in html


def test_stay_filter_excludes_booked_nights(client, catalog, make):
    today = clock.local_today()
    check_in, check_out = today + timedelta(days=5), today + timedelta(days=7)
    url = f"/search?check_in={check_in}&check_out={check_out}"
    assert result_slugs(page_text(client, url)) == ["tea-house-stay"]
    from models import Order

    order = Order(reference="R1", idempotency_token="tok-1", total_fen=18800, contact_name="A",
                  contact_phone="13800000000")
    db.session.add(order)
    db.session.flush()
    line = OrderLine(order_id=order.id, home_id=catalog["jiangxi"].id, listing_id=catalog["stay"].id,
                     kind="homestay", title="stay", room_id=catalog["room"].id, quantity=1,
                     unit_price_fen=18800, amount_fen=18800, care_share_bps=2000)
    db.session.add(line)
    db.session.flush()
    db.session.add(RoomNight(room_id=catalog["room"].id, night=check_in + timedelta(days=1),
                             order_line_id=line.id))
    db.session.commit()
    assert result_slugs(page_text(client, url)) == []
    assert result_slugs(page_text(client, f"/search?check_in={check_in}&check_out="
                                          f"{check_in + timedelta(days=1)}")) == ["tea-house-stay"]


def test_pagination(client, make):
    home = make.home()
    for n in range(45):
        make.listing(home, "produce", slug=f"rice-{n}", title_zh=f"有机大米{n}号", title_en=f"Rice {n}")
    first = result_slugs(page_text(client, "/search?q=" + quote("大米")))
    second = result_slugs(page_text(client, "/search?q=" + quote("大米") + "&page=2"))
    third = result_slugs(page_text(client, "/search?q=" + quote("大米") + "&page=3"))
    assert len(first) == 20 and len(second) == 20 and len(third) == 5
    assert len(set(first + second + third)) == 45
    html = page_text(client, "/search?q=" + quote("大米"))
    assert "page=2" in html and "45" in html


def test_a_typo_still_finds_and_a_partial_match_offers_a_suggestion(client, catalog):
    html = page_text(client, "/search?q=storytellng")
    assert "nothing-found" not in html and "partial-note" not in html
    assert "/listings/red-stories" in html
    html = page_text(client, "/search?q=" + quote("rice papr"))
    assert "partial-note" in html
    assert "/search?q=rice+paper" in html


def test_nothing_found_offers_the_kind_pages(client, catalog):
    html = page_text(client, "/search?q=zzqqx")
    assert "nothing-found" in html and "Did you mean" not in html
    for kind in ("tour", "homestay", "produce", "craft"):
        assert f"/kind/{kind}" in html


def nearest_kind_links(html: str) -> list[str]:
    section = html[html.index('class="nothing-found"'):]
    return re.findall(r'href="/kind/(\w+)"', section)


# Nothing in the kind asked for: the kinds where the words are found come first.
@pytest.mark.parametrize(("query", "nearest"), [
    ("宣纸 zzqqx&kind=homestay", ["craft", "tour"]),  # 宣纸: two crafts, one workshop
    ("民宿 zzqqx&kind=produce", ["homestay"]),  # a word naming a kind
    ("zzqqx workshop&kind=produce", ["tour"]),
    ("zzqqx", ["tour", "homestay", "produce", "craft"]),  # nothing near: the usual order
])
def test_nothing_found_lists_the_nearest_kinds_first(client, catalog, query, nearest):
    words, _, rest = query.partition("&")
    links = nearest_kind_links(page_text(client, "/search?q=" + quote(words) + ("&" + rest if rest else "")))
    assert sorted(links) == ["craft", "homestay", "produce", "tour"]
    assert links[:len(nearest)] == nearest, links


BAD_QUERIES = [
    "宣纸" * 500,  # 1,000 characters
    "x" * 1000,
    '"', "(", "*", "?", ")", '"宣纸', "((宣纸", "AND OR NOT", "AND", "NOT 宣纸", "field:value",
    "title_zh:宣纸", "~", "^", "宣纸~2", "宣纸^10", "[a TO z]", "{", "\\", "/",
    "'; DROP TABLE listings; --", "1' OR '1'='1", "SELECT * FROM listings WHERE 1=1",
    "😀", "🍵宣纸🍵", "\u200b", "，。！？【】（）", "　", "%", "_", "%%宣纸__",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_bad_queries_give_results_or_nothing_found(client, catalog, query):
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "search-hit" in html or "nothing-found" in html


def test_a_nul_in_the_query_is_refused_at_the_edge(client, catalog):
    response = client.get("/search", query_string={"q": "宣\x00纸"})
    assert response.status_code == 400  # PostgreSQL cannot hold it (market/edge.py)


BAD_PARAMS = [
    {"price": "cheap"}, {"price": "-1"}, {"price": "50-"}, {"kind": "weapon"},
    {"sort": "random"}, {"date": "2026-13-45"}, {"date": "tomorrow"}, {"date": "0000-00-00"},
    {"check_in": "2026-06-10", "check_out": "2026-06-01"},
    {"check_in": "2026-06-10", "check_out": "2026-06-10"},
    {"check_in": "2026-06-10"}, {"check_out": "yesterday"},
    {"check_in": "2026-01-01", "check_out": "2027-01-01"},
    {"page": "0"}, {"page": "-1"}, {"page": "99999"}, {"page": "abc"}, {"page": "1e9"},
    {"page": "9" * 40}, {"home": "abc"}, {"home": "99999999999999999999999"}, {"province": "x" * 500},
    {"date": "1900-01-01"}, {"date": "9999-12-31"},
]


@pytest.mark.parametrize("params", BAD_PARAMS)
def test_bad_filters_give_results_or_nothing_found(client, catalog, params):
    response = client.get("/search", query_string=dict(params, q="宣纸"))
    assert response.status_code == 200, params
    html = response.get_data(as_text=True)
    assert "search-hit" in html or "nothing-found" in html


def test_unparsable_filters_say_they_were_ignored(client, catalog):
    html = page_text(client, "/search?q=" + quote("宣纸") + "&price=cheap&date=someday")
    assert result_slugs(html)[0] == "xuan-paper"
    assert html.count('role="alert"') >= 2
    html = page_text(client, "/search?check_in=2026-06-10&check_out=2026-06-01")
    assert 'role="alert"' in html and len(result_slugs(html)) == 8


def test_a_check_in_in_the_past_is_ignored_with_a_note(client, catalog):
    today = clock.local_today()
    html = page_text(client, f"/search?check_in={today - timedelta(days=1)}"
                             f"&check_out={today + timedelta(days=1)}")
    assert html.count('role="alert"') == 1 and len(result_slugs(html)) == 8  # not filtered
    html = page_text(client, f"/search?check_in={today}&check_out={today + timedelta(days=1)}")
    assert 'role="alert"' not in html and result_slugs(html) == ["tea-house-stay"]


def test_a_query_cut_at_200_characters_says_so(client, catalog):
    long_query = "宣纸 " + "paper " * 40  # 243 characters
    html = page_text(client, "/search?q=" + quote(long_query))
    assert html.count('role="alert"') == 1 and result_slugs(html)[0] == "xuan-paper"
    html = page_text(client, "/search?q=" + quote(long_query[:200]))
    assert 'role="alert"' not in html and result_slugs(html)[0] == "xuan-paper"


def test_page_out_of_range_shows_the_nearest_page(client, catalog):
    for page in ("0", "-1", "99999"):
        assert len(result_slugs(page_text(client, f"/search?page={page}"))) == 8


def test_works_without_javascript(client, catalog):
    html = page_text(client, "/search?q=tea")
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # only the site's script file, which
    assert "needs-js" not in html  # adds nothing the search page needs
    assert 'method="get"' in html
