"""A visitor on a 360px phone: home page → a kind → a listing → its home, in two languages;
then sign-up, log-in, the staff console and a printable page. Every page: no sideways
scrolling, 18px text, 44px tap targets, nothing cut off.

Drives Debian's Chromium (/usr/bin/chromium) through Python Playwright against the test app
served on 127.0.0.1. These tests are slow, so they run once, on the PostgreSQL run
(TEST_DATABASE_URL; tests/conftest.py skips them on SQLite). Skips when Chromium or Playwright is
missing (CI sets REQUIRE_ALL_TESTS=1, which turns that skip into a failure). Screenshots go to
$BROWSER_SCREENSHOTS when set, else to the test's tmp dir.
"""

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WIDTH = 360


@pytest.fixture
def browser():
    """Debian's Chromium, headless, closed after the test."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Debian Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Python Playwright is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def phone_page(browser, **options):
    """A new page in a fresh 360px-wide context (options such as java_script_enabled=False)."""
    page = browser.new_context(viewport={"width": WIDTH, "height": 780}, **options).new_page()
    page.set_default_timeout(20_000)
    return page


@pytest.fixture
def live_server(app):
    """The test app with demo data, served by werkzeug on a free port in a thread."""
    from market.demo.seed import seed

    seed()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["SERVER_NAME"] = f"127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# Every visible control and link smaller than 44px, except a link inside a sentence (its
# paragraph has words besides its links, and the link is laid out inline).
SMALL_TARGETS = """() => {
  const small = [];
  const words = el => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll('a, button, input, select, textarea').forEach(c => c.remove());
    return copy.textContent.replace(/[\\s·,、:：|()（）—–-]/g, '');
  };
  const targets = 'a[href], button, select, textarea, summary, label.choice, '
    + 'input:not([type=hidden]):not([type=checkbox]):not([type=radio])';
  for (const el of document.querySelectorAll(targets)) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || el.closest('.skip, .visually-hidden')) continue;
    if (box.height >= 44) continue;
    const block = el.parentElement.closest('p, li, dd, td, span, div');
    const inSentence = el.tagName === 'A' && getComputedStyle(el).display === 'inline'
      && block && words(block) !== '';
    const label = el.textContent.trim().slice(0, 40);
    if (!inSentence) small.push(`${el.tagName.toLowerCase()} "${label}" ${Math.round(box.height)}px`);
  }
  return small;
}"""

# Whether the header search box shows its whole placeholder.
PLACEHOLDER_FITS = """() => {
  const box = document.querySelector('#site-search');
  if (!box) return true;
  const style = getComputedStyle(box);
  const context = document.createElement('canvas').getContext('2d');
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return context.measureText(box.placeholder).width <= room;
}"""

# Choices (radio labels) and dropdowns whose text is cut off (a dropdown's arrow takes ~24px).
CUT_TEXT = """() => {
  const context = document.createElement('canvas').getContext('2d');
  const cut = [...document.querySelectorAll('.choice span')]
    .filter(el => el.scrollWidth > el.clientWidth + 1);
  for (const select of document.querySelectorAll('select')) {
    const style = getComputedStyle(select);
    context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 24;
    const shown = select.options[select.selectedIndex];
    if (shown && context.measureText(shown.text.trim()).width > room) cut.push(select);
  }
  return cut.map(el => (el.tagName === 'SELECT' ? el.options[el.selectedIndex].text : el.textContent).trim());
}"""


def _check_page(page, shots: Path, name: str) -> None:
    """At 360px: no horizontal scrolling, base text at least 18px, tap targets at least 44px,
    nothing cut off; then a full-page screenshot."""
    page.wait_for_load_state()  # a click's navigation may still be loading its stylesheet
    width = page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
    )
    assert width <= WIDTH, f"{name}: page is {width}px wide at a {WIDTH}px viewport ({page.url})"
    font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 18, f"{name}: base text is {font}px"
    assert page.evaluate(SMALL_TARGETS) == [], f"{name}: tap targets under 44px ({page.url})"
    assert page.evaluate(PLACEHOLDER_FITS), f"{name}: the search box's placeholder is cut"
    assert page.evaluate(CUT_TEXT) == [], f"{name}: text cut off ({page.url})"
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_visitor_walks_from_home_page_to_a_home_and_switches_language(browser, live_server, shots):
    page = phone_page(browser)
    page.goto(live_server + "/")
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert page.locator("h1").first.is_visible()
    _check_page(page, shots, "01-home-page")

    page.locator("nav.kinds a[href$='/kind/tour']").click()
    page.wait_for_url("**/kind/tour")
    assert page.locator(".cards .card").count() > 0
    _check_page(page, shots, "02-kind-tours")

    first = page.locator(".cards .card a").first
    title = first.locator(".card-title").inner_text().strip()
    first.click()
    page.wait_for_url("**/listings/**")
    assert page.locator("h1").inner_text().strip() == title
    assert page.locator(".care-share").is_visible()
    _check_page(page, shots, "03-listing")

    page.locator("main a[href^='/homes/']").first.click()
    page.wait_for_url("**/homes/**")
    heading_zh = page.locator("h1").inner_text().strip()
    assert "幸福院" in heading_zh
    _check_page(page, shots, "04-home-zh")

    # Switch to English: the same page comes back in English, and stays English.
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "en"
    heading_en = page.locator("h1").inner_text().strip()
    assert heading_en != heading_zh and "Happiness Home" in heading_en
    assert "/homes/" in page.url
    _check_page(page, shots, "05-home-en")

    page.goto(live_server + "/kind/produce")
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("h1").inner_text().strip() == "Farm produce"
    _check_page(page, shots, "06-kind-produce-en")
    page.locator(".cards .card a").first.click()
    page.wait_for_url("**/listings/**")
    _check_page(page, shots, "07-listing-en")

    # And back to Chinese.
    page.get_by_role("link", name="中文").click()
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert page.locator("h1").inner_text().strip() != ""
    page.goto(live_server + "/homes/qiantun")
    assert page.locator("h1").inner_text().strip() == "前屯村幸福院"
    _check_page(page, shots, "08-home-zh-again")


def _a_tour_of(home_slug: str) -> int:
    from sqlalchemy import select

    from models import Home, Listing, db

    return db.session.scalar(select(Listing.id).join(Home).where(
        Home.slug == home_slug, Listing.kind == "tour").order_by(Listing.id).limit(1))


def test_accounts_console_and_print_pages_fit_a_phone(browser, live_server, shots):
    """Sign-up and log-in, a staff member's console (listing, session form), the care fund's
    statement; and printing without JavaScript says how."""
    page = phone_page(browser)
    for path, name in (("/signup", "11-signup"), ("/browse?county=河北省/肥乡区", "12-browse-county"),
                       ("/homes/no-such-home", "13-not-found"), ("/login", "14-login")):
        page.goto(live_server + path)
        _check_page(page, shots, name)

    page.fill("#identifier", "staff.qiantun@demo.example.com")
    page.fill("#password", "demo-pass-2026")
    page.locator("main button[type=submit]").click()
    page.goto(live_server + "/manage/qiantun/")
    _check_page(page, shots, "15-console")
    tour = _a_tour_of("qiantun")
    page.goto(f"{live_server}/manage/qiantun/listings/{tour}")
    _check_page(page, shots, "16-console-listing")
    page.goto(f"{live_server}/manage/qiantun/listings/{tour}/sessions/new")
    assert page.get_attribute("#duration_minutes", "inputmode") == "numeric"
    _check_page(page, shots, "17-session-form")
    page.goto(live_server + "/fund/qiantun/statement/2026-11")
    _check_page(page, shots, "18-statement")
    assert page.locator("button.needs-js").is_visible()

    page = phone_page(browser, java_script_enabled=False)
    page.goto(live_server + "/fund/qiantun/statement/2026-11")
    hint = page.locator("p.no-print", has=page.locator("button.needs-js"))
    assert not page.locator("button.needs-js").is_visible()
    assert hint.inner_text().strip() != ""  # the <noscript> words, in place of the button


def _first_listing_of_each_kind() -> list[str]:
    from sqlalchemy import select

    from models import Listing, db

    first = select(Listing.slug).where(Listing.status == "published").order_by(Listing.id).limit(1)
    kinds = ("tour", "homestay", "produce", "craft")
    return [db.session.scalar(first.where(Listing.kind == kind)) for kind in kinds]


PUBLIC_PAGES = ("/", "/kind/tour", "/kind/homestay", "/browse", "/browse?province=安徽省", "/homes/xiaoling",
                "/search?q=宣纸", "/search?q=xuanzhi", "/search?q=rice+paper", "/search?q=zzqq无此物",
                "/cart", "/orders", "/fund/", "/fund/qiantun", "/fund/qiantun/statement",
                "/fund/qiantun/donate", "/ledger/entries/5", "/login", "/signup")


def test_key_public_pages_do_not_scroll_sideways_in_either_language(browser, live_server):
    """Every key public page, in Chinese and in English, fits a 360px phone: no sideways
    scrolling (a wide table scrolls inside its own box, not the page)."""
    pages = PUBLIC_PAGES + tuple(f"/listings/{slug}" for slug in _first_listing_of_each_kind())
    page = phone_page(browser)
    too_wide = []
    for lang in ("zh_Hans", "en"):
        page.goto(f"{live_server}/lang/{lang}")
        for path in pages:
            response = page.goto(live_server + path)
            assert response.status == 200, path
            width = page.evaluate(
                "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
            if width > WIDTH:
                too_wide.append(f"{lang} {path}: {width}px")
    assert too_wide == [], f"pages wider than {WIDTH}px: {too_wide}"
