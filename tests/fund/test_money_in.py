"""Money into and out of a home's accounts: donations, grants and settlements."""

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from market.fund import donations, grants, public, service, settlements
from market.ledger import service as ledger
from market.ledger.verify import verify_ledger
from models import db
from models.fund import Donation, Grant, Settlement
from models.ledger import JournalEntry
from tests.conftest import login, post_form
from tests.factories import GRANT_PDF, grant_document

pytestmark = pytest.mark.usefixtures("english")  # these tests check English wording


def entries() -> int:
    return db.session.scalar(select(func.count(JournalEntry.id)))


def available(home) -> int:
    return ledger.home_balances(home.id)["care_fund:available"]


def test_donation_offline_flow(client, make):
    home = make.home()
    staff = make.member(home, "staff")
    response = post_form(client, f"/fund/{home.slug}/donate",
                         {"preset": "custom", "custom_amount": "88.80", "donor_name": "Li Hua",
                          "message": "For the dining table"})
    assert response.status_code == 302
    donation = db.session.scalar(select(Donation))
    assert donation.amount_fen == 8880 and donation.status == "pending" and donation.anonymous is False
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert donation.reference in page
    assert entries() == 0
    login(client, staff)
    url = f"/manage/{home.slug}/fund/donations/{donation.id}/confirm"
    response = post_form(client, url, {f"d{donation.id}-amount": "88.80"},
                         form_url=f"/manage/{home.slug}/fund/donations")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "received"
    assert available(home) == 8880  # 100% to the care fund
    public = client.get(f"/fund/{home.slug}").get_data(as_text=True)
    assert "Li Hua" in public


def test_anonymous_donor_never_named(client, make):
    home = make.home()
    d = donations.create_donation(home.id, 5000, donor_name="Secret Person", anonymous=True)
    donations.confirm_donation(d.id, 5000, "offline")
    page = client.get(f"/fund/{home.slug}").get_data(as_text=True)
    assert "Secret Person" not in page
    assert "Secret Person" not in client.get(f"/fund/{home.slug}/entries.json").get_data(as_text=True)


def test_preset_donation_and_bad_amounts(client, make):
    home = make.home()
    response = post_form(client, f"/fund/{home.slug}/donate", {"preset": "2000", "anonymous": "y"})
    assert response.status_code == 302
    assert db.session.scalar(select(Donation.amount_fen)) == 2000
    for bad in ("0", "-3", "1.234", "lots"):
        response = post_form(client, f"/fund/{home.slug}/donate",
                             {"preset": "custom", "custom_amount": bad, "anonymous": "y"})
        assert response.status_code == 400, bad
    response = post_form(client, f"/fund/{home.slug}/donate", {"preset": "999999", "anonymous": "y"})
    assert response.status_code == 400  # a tampered preset
    assert db.session.scalar(select(func.count(Donation.id))) == 1


def test_confirm_donation_is_idempotent(app, make):
    home = make.home()
    d = donations.create_donation(home.id, 5000)
    donations.confirm_donation(d.id, 4900, "stripe", "pi_123")
    donations.confirm_donation(d.id, 4900, "stripe", "pi_123")
    assert entries() == 1 and available(home) == 4900
    assert db.session.get(Donation, d.id).received_fen == 4900


def test_cancelled_donation_cannot_be_confirmed(app, make):
    home = make.home()
    staff = make.member(home)
    d = donations.create_donation(home.id, 5000)
    donations.staff_cancel_donation(home.id, d.id, staff)
    with pytest.raises(service.FundError):
        donations.confirm_donation(d.id, 5000, "offline")
    assert entries() == 0


def test_staff_of_other_home_cannot_confirm(client, make):
    home, other = make.home(), make.home()
    outsider = make.member(other)
    d = donations.create_donation(home.id, 5000)
    with pytest.raises(service.FundNotFound):
        donations.staff_confirm_donation(home.id, d.id, outsider, 5000)
    with pytest.raises(service.FundNotFound):  # tampered home id
        donations.staff_confirm_donation(other.id, d.id, outsider, 5000)
    login(client, outsider)
    assert client.get(f"/manage/{home.slug}/fund/donations").status_code == 404
    assert entries() == 0


def test_grant_by_supervisor_or_admin_only(client, make):
    home = make.home()
    staff = make.member(home, "staff")
    sup = make.member(home, "supervisor")
    admin = make.user(is_admin=True)
    fields = dict(source="township", source_name="Feixiang township", amount_fen=300_00,
                  received_on=date(2026, 10, 1))
    with pytest.raises(service.FundForbidden):
        grants.record_grant(home.id, staff, **fields, document=grant_document())
    first = grants.record_grant(home.id, sup, **fields, document=grant_document())
    second = grants.record_grant(home.id, admin, **dict(fields, source="government"),
                                 document=grant_document())
    grants.confirm_grant(home.id, first.id, admin)
    grants.confirm_grant(home.id, second.id, sup)
    assert available(home) == 600_00
    with pytest.raises(service.FundError):
        grants.record_grant(home.id, sup, **dict(fields, source="lottery"), document=grant_document())
    with pytest.raises(service.FundError):
        grants.record_grant(home.id, sup, **dict(fields, amount_fen=0), document=grant_document())
    assert db.session.scalar(select(func.count(Grant.id))) == 2
    login(client, sup)
    url = f"/manage/{home.slug}/fund/grants/new"
    form = {"source": "village_collective", "source_name": "Qiantun village", "received_on": "2026-10-02"}
    response = post_form(client, url, {**form, "amount": "50.555",
                                       "document": (io.BytesIO(GRANT_PDF), "notice.pdf")},
                         content_type="multipart/form-data")
    assert response.status_code == 400 and "two decimals" in response.get_data(as_text=True)
    response = post_form(client, url, {**form, "amount": "50.50",
                                       "document": (io.BytesIO(GRANT_PDF), "n.pdf")},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    assert available(home) == 600_00  # recorded, not yet confirmed
    page = response.headers["Location"]
    assert "I checked the document" not in client.get(page).get_data(as_text=True)  # not the recorder
    other = make.member(home, "supervisor")
    client.delete_cookie("session")
    login(client, other)
    assert "I checked the document" in client.get(page).get_data(as_text=True)
    assert post_form(client, f"{page}/confirm", {}, form_url=page).status_code == 302
    assert available(home) == 600_00 + 5050


def test_a_subsidy_without_document_or_second_person_is_not_available(client, make):
    home = make.home()
    sup, sup2 = make.member(home, "supervisor"), make.member(home, "supervisor")
    fields = dict(source="government", source_name="County civil affairs bureau", amount_fen=2000_00,
                  received_on=date(2026, 11, 3))
    with pytest.raises(service.FundError, match="Attach the document"):
        grants.record_grant(home.id, sup, **fields)
    login(client, sup)
    response = post_form(client, f"/manage/{home.slug}/fund/grants/new",
                         {"source": "government", "source_name": "Bureau", "amount": "2000",
                          "received_on": "2026-11-03"}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Attach the document" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Grant.id))) == 0
    grant = grants.record_grant(home.id, sup, **fields, document=grant_document())
    assert available(home) == 0 and public.summary(home.id).available == 0
    assert db.session.scalar(select(func.count(JournalEntry.id)).where(JournalEntry.kind == "grant")) == 0
    with pytest.raises(service.FundError, match="Someone other than"):
        grants.confirm_grant(home.id, grant.id, sup)  # the recorder cannot confirm their own
    staff = make.member(home, "staff")
    with pytest.raises(service.FundForbidden):
        grants.confirm_grant(home.id, grant.id, staff)
    outsider = make.member(make.home(), "supervisor")
    with pytest.raises(service.FundNotFound):
        grants.confirm_grant(home.id, grant.id, outsider)
    assert available(home) == 0
    # Not public before confirmation, public (with its document) after.
    assert client.get(f"/fund/{home.slug}/grants/{grant.id}/document").status_code == 404
    grants.confirm_grant(home.id, grant.id, sup2)
    assert available(home) == 2000_00 and public.summary(home.id).income_total == {"grant": 2000_00}
    with pytest.raises(service.FundError, match="already confirmed"):
        grants.confirm_grant(home.id, grant.id, make.user(is_admin=True))
    document = client.get(f"/fund/{home.slug}/grants/{grant.id}/document")
    assert document.status_code == 200 and document.get_data() == GRANT_PDF
    fund_page = client.get(f"/fund/{home.slug}").get_data(as_text=True)
    assert f"/fund/{home.slug}/grants/{grant.id}/document" in fund_page
    assert verify_ledger().ok


def _owe_operations(home, fen):
    """Put money in the home's operations account as a sale would (clearing → operations)."""
    from market.ledger.accounts import HOME_OPERATIONS, PAYMENTS_CLEARING

    ledger.post(kind="sale", idempotency_key=f"test-sale:{home.id}", memo="test", home_id=home.id,
                postings=[(ledger.account(None, PAYMENTS_CLEARING), fen),
                          (ledger.account(home.id, HOME_OPERATIONS), -fen)])
    db.session.commit()


def test_settlement_admin_only_and_within_balance(client, make):
    home = make.home()
    sup = make.member(home, "supervisor")
    admin = make.user(is_admin=True)
    _owe_operations(home, 1000_00)
    fields = dict(account_code="home_operations", amount_fen=400_00, paid_on=date(2026, 11, 1),
                  reference="BANK-1")
    with pytest.raises(service.FundForbidden):
        settlements.record_settlement(home.id, sup, **fields)
    settlements.record_settlement(home.id, admin, **fields)
    balances = ledger.home_balances(home.id)
    assert balances["home_operations"] == 600_00 and balances["settlements_paid"] == 400_00
    count = entries()
    with pytest.raises(service.FundError, match="more than"):
        settlements.record_settlement(home.id, admin, **dict(fields, amount_fen=600_01))
    with pytest.raises(service.FundError):
        settlements.record_settlement(home.id, admin, **dict(fields, account_code="care_fund:available"))
    with pytest.raises(service.FundNotFound):
        settlements.record_settlement(99999, admin, **fields)
    assert entries() == count
    assert db.session.scalar(select(func.count(Settlement.id))) == 1
    login(client, sup)
    assert client.get(f"/manage/{home.slug}/fund/settlements/new").status_code == 403


def test_parse_amount():
    assert service.parse_amount("12.5") == 1250
    assert service.parse_amount("¥1,200.00") == 120000
    for bad in ("", "0", "0.00", "-1", "1.001", "1e3", "12.", None):
        with pytest.raises(service.FundError):
            service.parse_amount(bad)
