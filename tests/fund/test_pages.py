"""The public care-fund pages, exports, statement and the receipt split."""

import json
import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from market import clock
from market.fund import donations, exports, public
from market.ledger import fund_entries
from market.ledger import service as ledger
from models import db, utcnow
from models.ledger import JournalEntry
from tests.factories import posted_sale


def test_home_fund_page_shows_income_by_source_and_chart(client, make):
    home = make.home()
    tour = make.listing(home, "tour", price_fen=6000)
    eggs = make.listing(home, "produce")
    posted_sale(make, home=home, listing=tour, lines=((60_00, 2000, 0, 500, "tour"),),
                contact_name="Buyer Secretname")
    posted_sale(make, home=home, listing=eggs, lines=((100_00, 2000, 0, 500, "produce"),),
                contact_name="Buyer Secretname")
    d = donations.create_donation(home.id, 50_00, donor_name="Named Donor", anonymous=False)
    donations.confirm_donation(d.id, 50_00, "offline")
    summary = public.summary(home.id)
    assert summary.pending == 12_00 + 20_00
    assert summary.available == 50_00
    assert summary.income_month == {"sale:tour": 12_00, "sale:produce": 20_00, "donation": 50_00}
    balances = ledger.home_balances(home.id)  # the summary table agrees with the ledger's SUMs
    assert (summary.pending, summary.available) == (balances["care_fund:pending"],
                                                     balances["care_fund:available"])
    page = client.get(f"/fund/{home.slug}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html and "<title id=" in html and "<desc id=" in html
    assert "Buyer Secretname" not in html
    assert "Named Donor" in html
    head = db.session.scalar(select(JournalEntry).order_by(JournalEntry.seq.desc()))
    assert head.leaf_hash[:16] in html
    assert client.get("/fund/").status_code == 200
    assert client.get("/fund/no-such-home").status_code == 404


def test_entries_paginate_by_seq(client, make):
    home = make.home()
    for i in range(public.PAGE_SIZE + 3):
        fund_entries.post_grant(home_id=home.id, amount_fen=100 + i, grant_id=i + 1, source="township",
                          memo=f"g{i}")
    db.session.commit()
    first = public.entries_page(home.id)
    assert len(first.rows) == public.PAGE_SIZE and first.next_before
    second = public.entries_page(home.id, first.next_before)
    assert len(second.rows) == 3 and second.next_before is None
    assert client.get(f"/fund/{home.slug}?before={first.next_before}").status_code == 200
    assert client.get(f"/fund/{home.slug}?before=abc").status_code == 404


def test_summary_follows_new_entries(app, make):
    home = make.home()
    fund_entries.post_grant(home_id=home.id, amount_fen=1000, grant_id=1, source="township", memo="g")
    db.session.commit()
    assert public.summary(home.id).income_month == {"grant": 1000}
    fund_entries.post_grant(home_id=home.id, amount_fen=500, grant_id=2, source="enterprise", memo="g")
    db.session.commit()
    assert public.summary(home.id).income_month == {"grant": 1500}
    assert public.summary(None).income_month == {"grant": 1500}


def test_exports_csv_json_and_statement(client, make):
    home = make.home()
    other = make.home()
    fund_entries.post_grant(home_id=home.id, amount_fen=1000, grant_id=1, source="township",
                              memo="=HYPERLINK()")
    fund_entries.post_grant(home_id=other.id, amount_fen=700, grant_id=2, source="township",
                              memo="other home")
    db.session.commit()
    csv_text = client.get(f"/fund/{home.slug}/entries.csv").get_data(as_text=True)
    entry = db.session.scalar(select(JournalEntry).where(JournalEntry.home_id == home.id))
    assert entry.leaf_hash in csv_text and "other home" not in csv_text
    assert "HYPERLINK" not in csv_text  # memos (English, with internal ids) are not in the CSV
    data = json.loads(client.get(f"/fund/{home.slug}/entries.json").get_data(as_text=True))
    assert [e["leaf_hash"] for e in data["entries"]] == [entry.leaf_hash]
    assert data["complete"] is False and "inclusion_proof" in data["entries"][0]
    assert data["home"]["slug"] == home.slug
    today = clock.local_today()
    later = today + timedelta(days=40)
    empty = client.get(f"/fund/{home.slug}/entries.json?start={later}&end={later}")
    assert json.loads(empty.get_data(as_text=True))["entries"] == []
    assert client.get(f"/fund/{home.slug}/entries.csv?start=2026-13-01").status_code == 400
    assert client.get(f"/fund/{home.slug}/entries.csv?start=2026-02-01&end=2026-01-01").status_code == 400
    statement = client.get(f"/fund/{home.slug}/statement/{today.year}-{today.month}")
    assert statement.status_code == 200 and entry.leaf_hash in statement.get_data(as_text=True)
    assert client.get(f"/fund/{home.slug}/statement/2026-13").status_code == 404
    assert client.get(f"/fund/{home.slug}/statement").status_code == 302


def test_statement_months_are_shanghai_months(app, make):
    """Opening and closing balances and the month's flows come from the summary table's
    months, which are Asia/Shanghai months: 00:30 on the 1st there is still the 31st in UTC."""
    home = make.home()
    today = clock.local_today()
    first = today.replace(day=1)
    before = first - timedelta(days=1)
    fund_entries.post_grant(home_id=home.id, amount_fen=1000, grant_id=1, source="township", memo="g",
                      occurred_at=datetime.combine(before, time(23, 30), clock.HOME_ZONE))
    fund_entries.post_donation(home_id=home.id, amount_fen=500, donation_id=1, memo="d",
                         occurred_at=datetime.combine(first, time(0, 30),
                                                      clock.HOME_ZONE))
    fund_entries.post_disbursement(home_id=home.id, amount_fen=300, disbursement_id=1,
                                     category="meals", memo="m")
    db.session.commit()
    now = exports.monthly_statement(home, today.year, today.month)
    assert (now.opening_pending, now.opening_available) == (0, 1000)
    assert (now.closing_pending, now.closing_available) == (0, 1200)
    assert now.income == {"donation": 500} and now.spending == {"meals": 300}
    earlier = exports.monthly_statement(home, before.year, before.month)
    assert (earlier.opening_available, earlier.closing_available) == (0, 1000)
    assert earlier.income == {"grant": 1000} and earlier.spending == {}
    assert public.summary(home.id).income_month == {"donation": 500}


def test_line_split_partial(app, make):
    from flask import render_template_string

    home = make.home(name_en="Qiantun Happiness Home")
    elder = make.elder(home)
    tour = make.listing(home, "tour", elder_id=elder.id)
    order = posted_sale(make, home=home, listing=tour, lines=((60_00, 2000, 500, 500, "tour"),), elder=elder,
                        contact_name="Buyer Secretname")
    line = order.lines[0]
    with app.test_request_context("/?lang=en", headers={"Cookie": "lang=en"}):
        html = render_template_string(
            '{% from "fund/_line_split.html" import line_split %}{{ line_split(line) }}', line=line)
    text = re.sub(r"\s+", " ", html)
    assert "storyteller incentive" in text
    assert "Qiantun Happiness Home care fund" in text
    for amount in ("12.00", "3.00", "42.00"):
        assert amount in text
    seq = db.session.scalar(select(JournalEntry.seq).where(JournalEntry.order_id == order.id))
    assert f"/ledger/entries/{seq}/proof" in text


def test_home_page_links_fund_and_has_donate_form(client, make):
    home = make.home()
    html = client.get(f"/homes/{home.slug}").get_data(as_text=True)
    assert f"/fund/{home.slug}" in html and f"/fund/{home.slug}/donate" in html
    assert "/fund/" in client.get("/").get_data(as_text=True)


def test_month_keys():
    assert public.last_months(3, date(2026, 2, 10)) == ["2025-12", "2026-01", "2026-02"]
    assert clock.local_today(utcnow()) is not None
