# ruff: noqa: F405
"""Home staff refund some lines of an order (quantity or amount per line, never more than was
paid), through the order's provider, with the ledger's reversing entry."""

import re

import pytest
from sqlalchemy import select

from models import JournalEntry, Refund, db
from tests.conftest import login, post_form
from tests.factories import mark_paid, order_of, paid_by_stripe, staff_url
from tests.payments.stripe_fixtures import *  # noqa: F403 - fixtures fake, tour and helpers

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def offline_order(make):
    """A paid offline order of 3 seats at ¥88 and 2 bags of rice at ¥30."""
    home = make.home()
    tour = make.session(make.listing(home, "tour", price_fen=8800), capacity=5)
    rice = make.listing(home, "produce", price_fen=3000, stock=10)
    order = order_of("s:refund", (rice.id, {"quantity": "2"}),
                     (tour.listing_id, {"session_id": tour.id, "quantity": "3"}))
    return mark_paid(order, make.member(home))


def _refund(client, order, reason="one seat stayed empty", **fields):
    page = client.get(staff_url(order)).get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="([0-9a-f]{32})"', page).group(1)
    return post_form(client, staff_url(order, "/refund"), {"reason": reason, "token": token, **fields},
                     form_url=staff_url(order))


def _lines(order):
    tour_line = next(line for line in order.lines if line.kind == "tour")
    rice_line = next(line for line in order.lines if line.kind == "produce")
    return tour_line, rice_line


def test_staff_refund_one_seat_and_part_of_a_line(client, make, offline_order):
    order = offline_order
    login(client, make.member(order.home))
    tour_line, rice_line = _lines(order)
    response = _refund(client, order, **{f"quantity-{tour_line.id}": "1",
                                         f"amount-{rice_line.id}": "12.50"})
    assert response.status_code == 302, response.get_data(as_text=True)
    [refund] = db.session.query(Refund).filter_by(order_id=order.id).all()
    assert refund.status == "succeeded" and refund.amount_fen == 8800 + 1250
    assert refund.initiated_by == "staff" and refund.requested_by_id is not None
    order = reload(order)
    assert order.status == "partially_refunded"
    assert {line.kind: line.refunded_fen for line in order.lines} == {"tour": 8800, "produce": 1250}
    entry = db.session.scalar(select(JournalEntry).where(JournalEntry.refund_id == refund.id))
    assert entry is not None and entry.kind == "refund"  # the ledger reversed it


def test_never_more_than_was_paid_and_bad_input_change_nothing(client, make, offline_order):
    order = offline_order
    login(client, make.member(order.home))
    tour_line, rice_line = _lines(order)
    cases = [
        ({f"quantity-{tour_line.id}": "4"}, "at most 3"),
        ({f"amount-{rice_line.id}": "60.01"}, "more than was paid"),
        ({f"amount-{rice_line.id}": "1.234"}, "such as 12.50"),
        ({f"quantity-{tour_line.id}": "1", f"amount-{tour_line.id}": "10"}, "not both"),
        ({}, "at least one line"),
    ]
    for fields, message in cases:
        response = _refund(client, order, **fields)
        assert response.status_code == 400, fields
        assert message in response.get_data(as_text=True), (fields, message)
    assert _refund(client, order, reason="", **{f"quantity-{tour_line.id}": "1"}).status_code == 400
    assert db.session.query(Refund).count() == 0 and reload(order).status == "paid"
    _refund(client, order, **{f"quantity-{tour_line.id}": "3"})
    again = _refund(client, order, **{f"quantity-{tour_line.id}": "1"})  # nothing left on it
    assert again.status_code == 400 and "more than was paid" in again.get_data(as_text=True)


def test_the_same_form_sent_twice_refunds_once(client, make, offline_order):
    order = offline_order
    login(client, make.member(order.home))
    tour_line, _rice = _lines(order)
    page = client.get(staff_url(order)).get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="([0-9a-f]{32})"', page).group(1)
    for _ in range(2):
        post_form(client, staff_url(order, "/refund"), {"reason": "double click", "token": token,
                                                   f"quantity-{tour_line.id}": "1"},
                  form_url=staff_url(order))
    assert db.session.query(Refund).count() == 1


def test_other_homes_and_supervisors_cannot_refund(app, client, make, offline_order):
    order = offline_order
    tour_line, _rice = _lines(order)
    login(client, make.member(make.home()))
    assert client.get(staff_url(order)).status_code == 404
    other = app.test_client()
    login(other, make.member(order.home, role="supervisor"))
    page = other.get(staff_url(order)).get_data(as_text=True)
    assert "Refund some lines" not in page
    response = other.post(staff_url(order, "/refund"), data={f"quantity-{tour_line.id}": "1"})
    assert response.status_code in (400, 403)
    assert db.session.query(Refund).count() == 0


def test_a_stripe_order_is_refunded_through_stripe_without_claiming_the_buyer_asked(
        app, client, fake, tour, make):
    order = paid_by_stripe(client, fake, tour)
    line = order.lines[0]
    staff = app.test_client()
    login(staff, make.member(order.home))
    response = _refund(staff, order, **{f"amount-{line.id}": "50.00"})
    assert response.status_code == 302
    [request] = fake.requests_to("POST", "/v1/refunds")
    assert request.params["amount"] == "5000"
    assert request.params["payment_intent"] == session_of(order).provider_charge_ref
    assert "reason" not in request.params and request.params["metadata[initiated_by]"] == "staff"
    refund = db.session.query(Refund).one()
    assert refund.status == "pending" and refund.idempotency_key == request.idempotency_key
    assert reload(order).status == "paid"  # until Stripe says the money went back
    post_event(client, event("refund.updated", fake.settle_refund(refund.provider_ref)))
    order = reload(order)
    assert order.status == "partially_refunded" and order.lines[0].refunded_fen == 5000
    entry = db.session.scalar(select(JournalEntry).where(JournalEntry.refund_id == refund.id))
    assert entry is not None
