"""A subsidy or grant can be rejected with a reason (never counting as money); a spending
proposal can be withdrawn by its proposer before anyone decides it."""

from datetime import date

import pytest
from sqlalchemy import func, select

from market.fund import disbursements, grants
from market.fund.service import FundError
from market.ledger import service as ledger
from models import db
from models.fund import Disbursement, Grant
from models.ledger import JournalEntry
from tests.conftest import login, post_form
from tests.factories import grant_document
from tests.fund.test_disbursements import fund, propose

pytestmark = pytest.mark.usefixtures("english")


def entries() -> int:
    return db.session.scalar(select(func.count(JournalEntry.id)))


def recorded_grant(home, recorder, fen=500_00):
    return grants.record_grant(home.id, recorder, source="township", source_name="Township office",
                               amount_fen=fen, received_on=date(2026, 11, 2), document=grant_document())


def test_a_second_person_rejects_a_grant_with_a_reason(client, make):
    home = make.home()
    sup, sup2 = make.member(home, "supervisor"), make.member(home, "supervisor")
    grant = recorded_grant(home, sup)
    before = entries()
    with pytest.raises(FundError, match="Someone other than"):
        grants.reject_grant(home.id, grant.id, sup, reason="typo")
    login(client, sup2)
    page_url = f"/manage/{home.slug}/fund/grants/{grant.id}"
    url = f"{page_url}/reject"
    response = post_form(client, url, {"reason": "   "}, form_url=page_url)
    assert response.status_code == 400 and "Say why" in response.get_data(as_text=True)
    response = post_form(client, url, {"reason": "The notice says ¥400, not ¥500"}, form_url=page_url)
    assert response.status_code == 302
    db.session.expire_all()
    grant = db.session.get(Grant, grant.id)
    assert grant.status == "rejected" and grant.confirmed_by_id == sup2.id
    assert grant.rejection_reason == "The notice says ¥400, not ¥500"
    assert entries() == before  # never money
    assert ledger.home_balances(home.id)["care_fund:available"] == 0
    page = client.get(page_url).get_data(as_text=True)
    assert "rejected: never counted as money" in page and "not ¥500" in page
    # Decided once: neither confirmed nor rejected again.
    with pytest.raises(FundError):
        grants.confirm_grant(home.id, grant.id, sup2)
    with pytest.raises(FundError, match="already decided"):
        grants.reject_grant(home.id, grant.id, sup2, reason="again")
    # Not shown on the public page.
    assert "Township office" not in client.get(f"/fund/{home.slug}").get_data(as_text=True)


def test_another_homes_supervisor_cannot_reject(client, make):
    home, other = make.home(), make.home()
    sup = make.member(home, "supervisor")
    outsider = make.member(other, "supervisor")
    grant = recorded_grant(home, sup)
    login(client, outsider)
    url = f"/manage/{home.slug}/fund/grants/{grant.id}/reject"
    response = post_form(client, url, {"reason": "no"}, form_url=f"/manage/{other.slug}/fund/")
    assert response.status_code == 404
    assert db.session.get(Grant, grant.id).status == "recorded"


def test_the_proposer_withdraws_an_undecided_spending_proposal(client, make):
    home = make.home()
    staff, other_staff = make.member(home, "staff"), make.member(home, "staff")
    sup = make.member(home, "supervisor")
    fund(home)
    login(client, staff)
    assert propose(client, home).status_code == 302
    d = db.session.scalar(select(Disbursement))
    page_url = f"/manage/{home.slug}/fund/disbursements/{d.id}"
    assert "Withdraw my proposal" in client.get(page_url).get_data(as_text=True)
    with pytest.raises(FundError, match="Only the person who proposed"):
        disbursements.withdraw_disbursement(home.id, d.id, other_staff)
    before = entries()
    response = post_form(client, f"{page_url}/withdraw", {}, form_url=page_url)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Disbursement, d.id).status == "withdrawn"
    assert entries() == before
    # Withdrawn: it can no longer be decided, nor withdrawn twice.
    with pytest.raises(FundError, match="already withdrawn"):
        disbursements.decide_disbursement(home.id, d.id, sup, approve=True)
    with pytest.raises(FundError, match="already withdrawn"):
        disbursements.withdraw_disbursement(home.id, d.id, staff)


def test_a_decided_proposal_cannot_be_withdrawn(client, make):
    home = make.home()
    staff = make.member(home, "staff")
    sup = make.member(home, "supervisor")
    fund(home)
    login(client, staff)
    propose(client, home)
    d = db.session.scalar(select(Disbursement))
    disbursements.decide_disbursement(home.id, d.id, sup, approve=True)
    with pytest.raises(FundError, match="already approved"):
        disbursements.withdraw_disbursement(home.id, d.id, staff)
    assert db.session.get(Disbursement, d.id).status == "approved"
