"""Small console fixes of issue 18: a draft offers "publish" only, and a printed order page
carries none of the forms (mark paid, refund, cancel)."""

import re

from tests.conftest import login
from tests.factories import buy, staff_url


def test_a_draft_listing_offers_publish_only(client, make, english):
    home = make.home()
    login(client, make.member(home))
    draft = make.listing(home, "produce", status="draft")
    page = client.get(f"/manage/{home.slug}/listings/{draft.id}").get_data(as_text=True)
    assert 'value="published"' in page
    assert 'value="archived"' not in page and 'value="draft"' not in page
    published = make.listing(home, "produce")
    page = client.get(f"/manage/{home.slug}/listings/{published.id}").get_data(as_text=True)
    assert 'value="archived"' in page and 'value="draft"' in page and 'value="published"' not in page


def test_the_order_page_prints_without_its_forms(client, make, english):
    home = make.home()
    login(client, make.member(home))
    rice = make.listing(home, "produce", price_fen=3000, stock=10)
    [order] = buy("s:print", listing_id=rice.id, quantity="1")
    page = client.get(staff_url(order)).get_data(as_text=True)
    sections = re.findall(r'<section([^>]*)>\s*<h2>([^<]+)</h2>', page)
    with_forms = {title: attrs for attrs, title in sections if title in ("Mark paid", "Cancel")}
    assert set(with_forms) == {"Mark paid", "Cancel"}
    assert all("no-print" in attrs for attrs in with_forms.values())
    css = client.get("/static/css/site.css").get_data(as_text=True)
    assert re.search(r"@media print \{\s*[^}]*\bform\b[^}]*display: none", css)
