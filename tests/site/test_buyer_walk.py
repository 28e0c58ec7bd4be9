"""A buyer's whole walk on a 360px phone, in Chinese and English, with JavaScript on and off:
search → a listing (its facts) → a homestay's calendar → a cart holding things from three homes
(care amounts shown, the split into three orders said) → checkout → my orders → cancel one line
of a paid order → the refund shown with its ledger entry.

axe-core (vendored in tests/data/axe-core, see its README) runs on every page visited: any
serious or critical violation fails the walk, as does a page wider than the phone. Screenshots go
to $BROWSER_SCREENSHOTS when set. Marked `browser`: runs once, on the PostgreSQL run.
"""

import base64
import hashlib
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from models import Listing, Order, db
from tests.site.test_browser import WIDTH, browser, live_server, phone_page, shots  # noqa: F401

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "data" / "axe-core" / "axe.min.js"
AXE_SRI = "sha256-KTSJmUUM3yhJqOcLeRL8LahahJ2jnA0NU5T1HUqe2Vw="  # axe-core 4.14.1's axe.min.js
SERIOUS = ("serious", "critical")

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""

# Search word, listing to open (the tour whose line is cancelled later), two more homes' tours.
SEARCH = {"zh_Hans": "红色记忆", "en": "red history"}
FIRST = "qiantun-red-history-walk"
STAY = "qiantun-farmhouse-courtyard"
MORE = ("qiantun-village-change-talk", "xiaoling-paper-village-walk", "guantian-rice-field-day")
GOODS = "guantian-new-rice"  # its home's shipping table: ¥12 in 3–5 days to most provinces
WORDS = {
    "zh_Hans": {"split": "确认后会生成 3 张订单", "care": "养老互助基金", "facts": "出发前要知道",
                "refund": "退给您的钱", "confirm": "确认 3 张订单"},
    "en": {"split": "Confirming makes 3 orders", "care": "to the care fund of", "facts": "Good to know",
           "refund": "Money back to you", "confirm": "Confirm 3 orders"},
}


def _axe_source() -> str:
    source = AXE.read_bytes()
    digest = "sha256-" + base64.b64encode(hashlib.sha256(source).digest()).decode()
    assert digest == AXE_SRI, "tests/data/axe-core/axe.min.js is not the vendored axe-core 4.14.1"
    return source.decode()


class Walk:
    """The pages one visitor sees. Without JavaScript no script runs in their page, axe-core
    neither: each page's very HTML is then served once more, to a checker page that can run
    scripts, and checked there as the visitor saw it (site.js's `js` class taken off again)."""

    def __init__(self, page, shots: Path, prefix: str, axe: str, checker=None):  # noqa: F811
        self.page, self.shots, self.prefix, self.axe, self.checker = page, shots, prefix, axe, checker
        self.count = 0
        self.problems: list[str] = []

    def _axe_page(self):
        if self.checker is None:
            return self.page
        url, html = self.page.url, self.page.content()
        self.checker.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
        self.checker.goto(url)
        self.checker.unroute(url)
        self.checker.evaluate("document.documentElement.classList.remove('js')")
        return self.checker

    def check(self, name: str) -> None:
        """axe-core (serious and critical count) and the page's width, then a screenshot."""
        page = self.page
        page.wait_for_load_state()
        width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
        if width > WIDTH:
            self.problems.append(f"{self.prefix} {name}: {width}px wide ({page.url})")
        checked = self._axe_page()
        checked.add_script_tag(content=self.axe)
        for violation in checked.evaluate(RUN_AXE):
            if violation["impact"] in SERIOUS:
                self.problems.append(f"{self.prefix} {name} ({page.url}): {violation['impact']} "
                                     f"{violation['id']}: {violation['help']} at {violation['nodes']}")
        self.count += 1
        shot = self.shots / f"walk-{self.prefix}-{self.count:02d}-{name}.png"
        page.screenshot(path=str(shot), full_page=True)


def _submit(page, form_selector: str) -> None:
    with page.expect_navigation():
        page.locator(f"{form_selector} button[type=submit]").first.click()


def _walk(browser, live_server, shots, lang: str, javascript: bool, axe: str) -> list[str]:  # noqa: F811
    words = WORDS[lang]
    page = phone_page(browser, java_script_enabled=javascript, bypass_csp=True)
    checker = None if javascript else phone_page(browser, bypass_csp=True)
    walk = Walk(page, shots, f"{'zh' if lang == 'zh_Hans' else 'en'}-{'js' if javascript else 'nojs'}", axe,
                checker)
    page.goto(f"{live_server}/lang/{lang}")
    # A shop's first screen: the header takes at most a quarter of it, cards come two a row.
    header = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
    assert header <= 780 / 4, f"{lang}: the header is {header}px high"
    page.goto(f"{live_server}/kind/tour")
    tops = page.evaluate("[...document.querySelectorAll('.cards .card')].slice(0, 4)"
                         ".map(c => Math.round(c.getBoundingClientRect().top))")
    assert tops[0] == tops[1] and tops[2] == tops[3] and tops[1] < tops[2], tops

    # Search from the header's box, open the listing: its facts are there.
    page.fill("#site-search", SEARCH[lang])
    with page.expect_navigation():
        page.locator("form.search-box button[type=submit]").click()
    walk.check("search")
    with page.expect_navigation():
        page.locator(f"main a[href$='/listings/{FIRST}']").first.click()
    assert words["facts"] in page.locator(".traveller-facts").inner_text()
    walk.check("listing")
    _submit(page, "form.booking-form")

    # A homestay's calendar: booked nights greyed out (looking only; nothing is added).
    page.goto(f"{live_server}/listings/{STAY}")
    assert page.locator(".stay-calendar table.calendar").first.is_visible()
    walk.check("stay-calendar")

    # Three homes' tours in one cart.
    for slug in MORE:
        page.goto(f"{live_server}/listings/{slug}")
        _submit(page, "form.booking-form")
    # Goods: the shipping cost and delivery time on the listing, then one fee in the cart.
    page.goto(f"{live_server}/listings/{GOODS}")
    shipping = page.locator(".shipping-facts").inner_text()
    assert "12.00" in shipping and "3–5" in shipping, shipping
    walk.check("goods-listing")
    _submit(page, "form.booking-form")
    assert page.url.endswith("/cart")
    assert words["split"] in page.locator(".split-notice").first.inner_text()
    assert page.locator(".cart-split").count() == 5
    assert words["care"] in page.locator(".cart-split").first.inner_text()
    [fee] = page.locator("p.shipping").all_inner_texts()
    assert "12.00" in fee and "3–5" in fee, fee
    walk.check("cart")

    # Checkout: the split is said again before the button.
    page.goto(f"{live_server}/checkout")
    assert page.locator("form .split-notice").is_visible()
    walk.check("checkout")
    page.fill("#contact_name", "李明" if lang == "zh_Hans" else "Ann Lee")
    page.fill("#contact_phone", "13812345678")
    page.select_option("#ship_province", "北京市")
    page.fill("#ship_city", "北京")
    page.fill("#ship_district", "朝阳区")
    page.fill("#ship_street", "幸福路1号")
    with page.expect_navigation():
        page.get_by_role("button", name=words["confirm"]).click()
    assert "/checkout/placed/" in page.url
    walk.check("placed")

    page.goto(f"{live_server}/orders")
    walk.check("my-orders")
    references = re.findall(r"/orders/([A-Z0-9]{8})", page.content())
    orders = [db.session.scalar(select(Order).where(Order.reference == ref))
              for ref in dict.fromkeys(references)]
    first = db.session.scalar(select(Listing.id).where(Listing.slug == FIRST))
    two_lines = next(order for order in orders if any(line.listing_id == first for line in order.lines))
    assert len(two_lines.lines) == 2
    goods_order = next(order for order in orders if order.shipping_fen)
    assert goods_order.shipping_fen == 1200 and goods_order.shipping_days == "3–5"

    # The home marks it paid (as its console does), then the buyer cancels one line.
    from tests.factories import pay_offline

    pay_offline(two_lines)
    page.goto(f"{live_server}/orders/{two_lines.reference}")
    walk.check("order-paid")
    line = next(line for line in two_lines.lines if line.listing_id == first)
    page.check(f"#confirm-line-{line.id}")
    with page.expect_navigation():
        page.locator(f"form[action$='/lines/{line.id}/cancel'] button[type=submit]").click()
    refunds = page.locator(".refunds")
    assert words["refund"] in refunds.inner_text()
    walk.check("line-cancelled")
    with page.expect_navigation():
        refunds.locator("a[href^='/ledger/entries/']").first.click()
    walk.check("ledger-entry")

    # The care fund pages: every table readable at 360px, none to scroll sideways, no amount cut.
    for name, url in (("fund-home", f"/fund/{two_lines.home.slug}"), ("fund", "/fund/")):
        page.goto(f"{live_server}{url}")
        scrolling = page.evaluate("[...document.querySelectorAll('.table-wrap')]"
                                  ".filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1).length")
        assert scrolling == 0, f"{lang} {name}: {scrolling} table(s) wider than the phone"
        walk.check(name)
    page.context.close()
    if checker is not None:
        checker.context.close()
    return walk.problems


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_buyer_walk_passes_axe_and_fits_a_phone(browser, live_server, shots, javascript):  # noqa: F811
    axe = _axe_source()
    # The checker itself finds what it must: an image without a text and a button without a name.
    probe = Walk(phone_page(browser, bypass_csp=True), shots, "probe", axe)
    probe.page.goto(f"{live_server}/cart")
    probe.page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', "
                        "'<img src=\"/static/none.png\"><button type=\"button\"></button>')")
    probe.check("probe")
    assert any("image-alt" in p for p in probe.problems) and any("button-name" in p for p in probe.problems)
    probe.page.context.close()
    problems = []
    for lang in ("zh_Hans", "en"):
        problems += _walk(browser, live_server, shots, lang, javascript, axe)
    assert problems == [], "\n".join(problems)
