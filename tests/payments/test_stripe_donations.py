# ruff: noqa: F405
"""Donations paid online through Stripe Checkout: offline stays the default; the webhook posts
100% of what Stripe received to the home's care fund, once."""

import pytest
from sqlalchemy import func, select

from market.ledger import service as ledger
from market.payments import stripe_donations
from models import Donation, JournalEntry, db
from tests.conftest import post_form
from tests.payments.stripe_fixtures import *  # noqa: F403 - fixtures fake, tour and helpers

pytestmark = pytest.mark.usefixtures("english")


def _donate(client, home, **fields):
    data = {"preset": "5000", "anonymous": "y", "donor_name": "", "message": "", **fields}
    return post_form(client, f"/fund/{home.slug}/donate", data)


def _care_fund_total(home) -> int:
    balances = ledger.home_balances(home.id)
    return balances.get("care_fund:available", 0) + balances.get("care_fund:pending", 0)


def test_without_keys_donations_are_offline_only(app, client, make):
    home = make.home()
    page = client.get(f"/fund/{home.slug}/donate").get_data(as_text=True)
    assert 'name="provider"' not in page and "Pay online" not in page
    response = _donate(client, home)
    assert response.status_code == 302 and "/fund/donations/" in response.headers["Location"]
    assert db.session.query(Donation).one().provider == "offline"
    assert _donate(client, home, provider="stripe").status_code == 400  # not offered, not taken


def test_a_donor_pays_online_and_the_whole_amount_goes_to_the_care_fund(app, client, fake, make):
    home = make.home()
    page = client.get(f"/fund/{home.slug}/donate").get_data(as_text=True)
    assert 'value="offline" checked' in page and "Pay online now" in page  # offline is the default
    response = _donate(client, home, preset="10000", provider="stripe")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://checkout.stripe.com/")
    donation = db.session.query(Donation).one()
    [request] = fake.requests_to("POST", "/v1/checkout/sessions")
    p = request.params
    assert request.idempotency_key == f"market-donation-{donation.id}"
    assert p["line_items[0][price_data][unit_amount]"] == "10000" and p["currency"] == "cny"
    assert p["metadata[donation_id]"] == str(donation.id)
    assert f"/fund/donations/{donation.reference}" in p["success_url"]
    assert "cancelled=1" in p["cancel_url"] and p["cancel_url"] != p["success_url"]
    assert donation.provider == "stripe" and donation.provider_ref in fake.sessions
    confirming = client.get(f"/fund/donations/{donation.reference}?paying=1")
    assert "confirming your payment" in confirming.get_data(as_text=True).lower()
    assert confirming.headers.get("Refresh")

    session = fake.pay(donation.provider_ref, amount=10000)
    assert post_event(client, event("checkout.session.completed", session)).status_code == 200
    donation = reload(donation)
    assert donation.status == "received" and donation.received_fen == 10000
    assert donation.provider_ref == session["payment_intent"]
    assert _care_fund_total(home) == 10000  # all of it, to the care fund
    again = event("checkout.session.completed", session)  # a new event id for the same payment
    assert post_event(client, again).status_code == 200
    assert _care_fund_total(home) == 10000
    assert db.session.scalar(select(func.count(JournalEntry.id)).where(
        JournalEntry.kind == "donation")) == 1
    page = client.get(f"/fund/donations/{donation.reference}?paying=1").get_data(as_text=True)
    assert "received and added to the care fund" in page


def test_stripe_down_keeps_the_pledge_payable_and_a_retry_gets_a_new_key(app, client, fake, make):
    home = make.home()
    fake.fail_next("/v1/checkout/sessions", "500")
    response = _donate(client, home, provider="stripe")
    assert response.status_code == 302 and "/fund/donations/" in response.headers["Location"]
    donation = db.session.query(Donation).one()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "did not answer" in page and "Pay online now" in page
    retry = post_form(client, f"/fund/donations/{donation.reference}/pay", {},
                      form_url=f"/fund/donations/{donation.reference}")
    assert retry.headers["Location"].startswith("https://checkout.stripe.com/")
    keys = [r.idempotency_key for r in fake.requests_to("POST", "/v1/checkout/sessions")]
    # Stripe replays a stored 500 to its key: the retry must not reuse it.
    assert keys == [f"market-donation-{donation.id}", f"market-donation-{donation.id}-2"]
    assert len(fake.sessions) == 1


def test_leaving_the_page_offers_to_pay_again_and_an_expired_session_cancels(app, client, fake, make):
    home = make.home()
    _donate(client, home, provider="stripe")
    donation = db.session.query(Donation).one()
    page = client.get(f"/fund/donations/{donation.reference}?cancelled=1").get_data(as_text=True)
    assert "Your payment was not completed. Nothing was charged." in page and "Pay again" in page
    expired = fake._expire_session(donation.provider_ref)[1]
    assert post_event(client, event("checkout.session.expired", expired)).status_code == 200
    assert reload(donation).status == "cancelled" and _care_fund_total(home) == 0


def test_a_refund_of_a_donation_is_left_to_a_person(app, client, fake, make):
    home = make.home()
    _donate(client, home, provider="stripe")
    donation = db.session.query(Donation).one()
    session = fake.pay(donation.provider_ref)
    post_event(client, event("checkout.session.completed", session))
    refund = fake._create_refund({"payment_intent": session["payment_intent"]})[1]
    response = post_event(client, event("refund.updated", fake.settle_refund(refund["id"])))
    assert response.status_code == 200 and response.get_json()["status"] == "processed"
    assert _care_fund_total(home) == 5000
    assert stripe_donations.donation_key(donation.id) == f"market-donation-{donation.id}"


def test_a_pledge_stripe_refuses_becomes_an_offline_pledge(app, client, fake, make):
    home = make.home()
    fake.fail_next("/v1/checkout/sessions", "refused", param="allowed_payment_method_types",
                   message="The payment method type alipay is not activated.")
    response = _donate(client, home, provider="stripe")
    donation = db.session.query(Donation).one()
    assert donation.provider == "offline" and donation.status == "pending"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pay online now" not in page  # the donor is shown how to give directly
    assert len(fake.requests_to("POST", "/v1/checkout/sessions")) == 1
