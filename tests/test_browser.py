"""A visitor on a 360px phone: home page → a kind → a listing → its home, in two languages.

Drives Debian's Chromium (/usr/bin/chromium) through Python Playwright against the test app
served on 127.0.0.1. Skips when Chromium or Playwright is missing (CI sets
REQUIRE_ALL_TESTS=1, which turns that skip into a failure). Screenshots go to
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
def sync_playwright():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Debian Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Python Playwright is not installed (pip install playwright)")
    return sync_playwright


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


def _check_page(page, shots: Path, name: str) -> None:
    """No horizontal scrolling at 360px, base text at least 18px; then a full-page screenshot."""
    width = page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
    )
    assert width <= WIDTH, f"{name}: page is {width}px wide at a {WIDTH}px viewport ({page.url})"
    font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 18, f"{name}: base text is {font}px"
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_visitor_walks_from_home_page_to_a_home_and_switches_language(sync_playwright, live_server, shots):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": WIDTH, "height": 780})
            page = context.new_page()
            page.set_default_timeout(20_000)

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
            context.close()
        finally:
            browser.close()
