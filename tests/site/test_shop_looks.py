"""Looks like a real shop: a favicon, dates in words the reader's language uses (no ISO dates in
sentences), "entry" rather than "leaf" in words people read. The header's height and two cards a
row at 360px are checked in the browser (tests/site/test_buyer_walk.py)."""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale

from market.booking import service as booking

ROOT = Path(__file__).resolve().parents[2]


def test_every_page_names_a_favicon_that_is_served(client):
    page = client.get("/").get_data(as_text=True)
    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page).group(1)
    icon = client.get(href)
    assert icon.status_code == 200 and b"<svg" in icon.data


@pytest.mark.parametrize(("locale", "pattern"), [("zh_Hans", r"\d{4}年\d{1,2}月\d{1,2}日"),
                                                 ("en", r"[A-Z][a-z]+ \d{1,2}, \d{4}")])
def test_a_date_in_a_message_reads_the_way_the_reader_writes_dates(app, locale, pattern):
    today = date(2026, 12, 4)
    with force_locale(locale), pytest.raises(booking.BookingError) as refused:
        booking.check_stay_dates(today + timedelta(days=800), today + timedelta(days=801), today)
    message = str(refused.value)
    assert re.search(pattern, message), message
    assert not re.search(r"\d{4}-\d\d-\d\d", message)


def test_people_read_entry_not_leaf():
    words = []
    for template in (ROOT / "templates").rglob("*.html"):
        words += [f"{template.name}: {text}" for text in re.findall(r'_\("([^"]*)"', template.read_text())
                  if re.search(r"\bleaf\b", text, re.I)]
    assert words == []
