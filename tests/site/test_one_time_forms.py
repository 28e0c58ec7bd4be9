"""A form sent twice (the same rendered form) does its work once: one cart line, one elder,
one proposed spending, one grant, never two. A form without its one-time token does nothing."""

import io
import re

import pytest
from flask import current_app
from sqlalchemy import func, select

from models import CartItem, Elder, Grant, UsedFormToken, db
from tests.conftest import csrf_from, login
from tests.factories import GRANT_PDF
from tests.manage.test_isolation import World

# Every form that moves money or makes a row a person would have to undo by hand.
ONE_TIME = {
    "orders.cart_add", "orders.cancel", "fund.donate", "fund.pay_donation",
    "fund_manage.propose", "fund_manage.decide", "fund_manage.confirm_donation",
    "fund_manage.cancel_donation", "fund_manage.new_grant", "fund_manage.new_settlement",
    "staff_orders.mark_paid", "staff_orders.cancel", "staff_orders.refund",
    "manage.listing_new", "manage.session_new", "manage.room_new", "manage.elder_new",
    "fund_manage.new_correction", "fund_manage.decide_correction", "fund_manage.withdraw_correction",
    "fund_manage.confirm_grant",
    "timebank.join", "timebank.accept", "timebank.done", "timebank.confirm", "timebank.spend",
    "timebank.give",
    "timebank_manage.person_new", "timebank_manage.request_new", "timebank_manage.assign",
    "timebank_manage.confirm", "timebank_manage.reject", "timebank_manage.spend_for",
    "timebank_manage.dispute", "timebank_manage.decide", "timebank_manage.allocate",
    "timebank_manage.decide_allocation", "timebank.donate",
}
_ONCE = re.compile(r'name="form_once" value="([0-9a-f]{32})"')


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_every_money_form_is_one_time(app):
    for endpoint in ONE_TIME:
        assert getattr(app.view_functions[endpoint], "one_time", False), endpoint


def _form(client, page_url: str) -> dict:
    page = client.get(page_url).get_data(as_text=True)
    token = _ONCE.search(page)
    assert token, f"no one-time token on {page_url}"
    return {"csrf_token": csrf_from(client, page_url), "form_once": token.group(1)}


@pytest.fixture
def world(app):
    return World()


def _staff(world):
    client = current_app.test_client()
    login(client, world.staff_a)
    return client


def test_add_to_cart_twice_adds_once(client, world):
    listing, tour_session = world.a.tour, world.a.session
    fields = {**_form(client, f"/listings/{listing.slug}"), "listing_id": listing.id,
              "session_id": tour_session.id, "quantity": "2"}
    assert client.post("/cart/add", data=fields).status_code == 302
    again = client.post("/cart/add", data=fields)
    assert again.status_code == 409
    assert db.session.scalar(select(func.sum(CartItem.quantity))) == 2


def test_a_new_elder_sent_twice_is_one_elder(world):
    client = _staff(world)
    url = f"/manage/{world.a.home.slug}/elders/new"
    fields = {**_form(client, url), "display_name_zh": "李爷爷", "role": "storyteller", "incentive": "5"}
    before = count(Elder)
    assert client.post(url, data=fields).status_code == 302
    assert client.post(url, data=fields).status_code == 409
    assert count(Elder) == before + 1


def test_money_received_sent_twice_is_received_once(world):
    from models import JournalEntry

    client = _staff(world)
    donation = world.a.donation
    fields = {**_form(client, f"/manage/{world.a.home.slug}/fund/donations"),
              f"d{donation.id}-amount": "10.00"}
    url = f"/manage/{world.a.home.slug}/fund/donations/{donation.id}/confirm"
    assert client.post(url, data=fields).status_code == 302
    entries = count(JournalEntry)
    assert entries >= 1 and db.session.get(type(donation), donation.id).status != "pending"
    assert client.post(url, data=fields).status_code == 409
    assert count(JournalEntry) == entries


def test_a_refused_form_keeps_its_token_for_the_corrected_one(world):
    client = _staff(world)
    url = f"/manage/{world.a.home.slug}/elders/new"
    fields = {**_form(client, url), "display_name_zh": "", "role": "storyteller", "incentive": "5"}
    assert client.post(url, data=fields).status_code == 400
    assert count(UsedFormToken) == 0
    fields["display_name_zh"] = "李爷爷"
    assert client.post(url, data=fields).status_code == 302
    assert count(UsedFormToken) == 1


@pytest.mark.parametrize("token", [None, "", "not-a-token", "a\u202e" * 16])
def test_a_form_without_a_good_token_does_nothing(world, token):
    client = _staff(world)
    url = f"/manage/{world.a.home.slug}/elders/new"
    fields = {**_form(client, url), "display_name_zh": "李爷爷", "role": "storyteller", "incentive": "5"}
    if token is None:
        del fields["form_once"]
    else:
        fields["form_once"] = token
    before = count(Elder)
    response = client.post(url, data=fields)
    assert response.status_code == 400
    assert count(Elder) == before and count(UsedFormToken) == 0


def test_a_grant_sent_twice_is_recorded_once(world):
    client = current_app.test_client()
    login(client, world.supervisor_a)
    url = f"/manage/{world.a.home.slug}/fund/grants/new"
    fields = {**_form(client, url), "source": "township", "source_name": "镇政府", "amount": "100",
              "received_on": "2026-01-05"}

    def sent():
        return client.post(url, data={**fields, "document": (io.BytesIO(GRANT_PDF), "notice.pdf")},
                           content_type="multipart/form-data")

    before = count(Grant)
    assert sent().status_code == 302
    assert sent().status_code == 409
    assert count(Grant) == before + 1
