"""The fund part of the staff console: who sees what, and pages answer without errors."""

import io
from datetime import date

import pytest
from PIL import Image

from market.fund import disbursements, donations
from market.ledger import fund_entries
from models import db
from tests.conftest import login, post_form

pytestmark = pytest.mark.usefixtures("english")  # these tests check English wording


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 200, 10)).save(out, "PNG")
    return out.getvalue()


def test_console_pages_for_members(client, make):
    home = make.home()
    staff = make.member(home, "staff")
    fund_entries.post_grant(home_id=home.id, amount_fen=500_00, grant_id=1, source="township", memo="g")
    db.session.commit()
    donations.create_donation(home.id, 2000)
    login(client, staff)
    base = f"/manage/{home.slug}/fund"
    assert client.get(f"{base}/").status_code == 200
    assert client.get(f"{base}/disbursements/new").status_code == 200
    assert client.get(f"{base}/donations").status_code == 200
    assert client.get(f"{base}/grants/new").status_code == 403  # staff: supervisors and admins only
    assert client.get(f"{base}/settlements/new").status_code == 403
    assert client.get(f"{base}/disbursements/999").status_code == 404


def test_admin_sees_grant_and_settlement_forms(client, make):
    home = make.home()
    admin = make.user(is_admin=True)
    login(client, admin)
    base = f"/manage/{home.slug}/fund"
    assert client.get(f"{base}/").status_code == 200
    assert client.get(f"{base}/grants/new").status_code == 200
    assert client.get(f"{base}/settlements/new").status_code == 200
    response = post_form(client, f"{base}/settlements/new",
                         {"account_code": "home_operations", "amount": "10.00", "paid_on": "2026-11-01"})
    assert response.status_code == 400 and "more than the home is owed" in response.get_data(as_text=True)
    response = post_form(client, f"{base}/settlements/new",
                         {"account_code": "care_fund:available", "amount": "1.00", "paid_on": "2026-11-01"})
    assert response.status_code == 400  # a tampered account code


def test_strangers_and_anonymous(client, make):
    home = make.home()
    assert client.get(f"/manage/{home.slug}/fund/").status_code in (302, 401)
    login(client, make.user())
    assert client.get(f"/manage/{home.slug}/fund/").status_code == 404
    assert client.get("/manage/no-such-home/fund/").status_code == 404


def test_rejected_receipt_stays_private(client, make):
    home = make.home()
    staff = make.member(home, "staff")
    sup = make.member(home, "supervisor")
    fund_entries.post_grant(home_id=home.id, amount_fen=500_00, grant_id=1, source="township", memo="g")
    db.session.commit()
    proposal = disbursements.Proposal("other", 100, "x", date(2026, 1, 1), "")
    d = disbursements.propose_disbursement(home.id, staff, proposal, io.BytesIO(_png()))
    disbursements.decide_disbursement(home.id, d.id, sup, approve=False, comment="no")
    assert client.get(f"/fund/{home.slug}/receipts/{d.id}").status_code == 404
    login(client, staff)
    assert client.get(f"/manage/{home.slug}/fund/disbursements/{d.id}/receipt").status_code == 200
