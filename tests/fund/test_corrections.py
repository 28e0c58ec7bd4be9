"""Corrections of mistaken entries (four eyes, withdraw, linked both ways) and proposals that no
supervisor of a one-supervisor home may decide going to the administrator."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from market.fund import corrections, disbursements, public, service
from market.ledger import service as ledger
from market.ledger.verify import verify_ledger
from models import db
from models.fund import Correction, Disbursement
from models.ledger import JournalEntry
from tests.conftest import login, post_form
from tests.factories import confirmed_grant
from tests.fund.test_disbursements import _proposal

pytestmark = pytest.mark.usefixtures("english")


def _grant(make, home, user, fen):
    """A grant recorded by `user` and confirmed by a second person (an administrator)."""
    grant = confirmed_grant(home, user, make.user(is_admin=True), fen)
    return db.session.get(JournalEntry, grant.entry_id)


@pytest.fixture
def books(make):
    home = make.home()
    staff = make.member(home, "staff")
    sup = make.member(home, "supervisor")
    sup2 = make.member(home, "supervisor")
    first = _grant(make, home, sup, 500_00)
    duplicate = _grant(make, home, sup, 500_00)  # typed in twice
    return home, staff, sup, sup2, first, duplicate


def test_a_correction_needs_two_people_and_nets_the_mistaken_entry_to_zero(client, make, books):
    home, staff, sup, sup2, first, duplicate = books
    assert service.available_fen(home.id) == 1000_00
    correction = corrections.propose_correction(home.id, sup, duplicate.seq, "The same grant entered twice")
    with pytest.raises(service.FundError, match="own proposal"):
        corrections.decide_correction(home.id, correction.id, sup, approve=True)
    with pytest.raises(service.FundForbidden):  # staff never decide
        corrections.decide_correction(home.id, correction.id, staff, approve=True)
    assert service.available_fen(home.id) == 1000_00  # nothing changed yet
    corrections.decide_correction(home.id, correction.id, sup2, approve=True)
    correction = db.session.get(Correction, correction.id)
    reversal = db.session.get(JournalEntry, correction.reversal_entry_id)
    assert correction.status == "approved" and correction.decided_by_id == sup2.id
    # The reversal is the mistaken entry with every amount negated: together they net to zero.
    net = {}
    for p in duplicate.postings + reversal.postings:
        net[p.account_id] = net.get(p.account_id, 0) + p.amount
    assert set(net.values()) == {0} and sum(p.amount for p in reversal.postings) == 0
    assert reversal.kind == "grant" and reversal.source_type == "correction"
    assert service.available_fen(home.id) == 500_00
    assert public.summary(home.id).income_total == {"grant": 500_00}  # income by source nets too
    assert verify_ledger().ok
    # Linked both ways on the public entry pages, with the reason.
    mistaken_page = client.get(f"/ledger/entries/{duplicate.seq}").get_data(as_text=True)
    reversal_page = client.get(f"/ledger/entries/{reversal.seq}").get_data(as_text=True)
    assert f'href="/ledger/entries/{reversal.seq}"' in mistaken_page and "entered twice" in mistaken_page
    assert f'href="/ledger/entries/{duplicate.seq}"' in reversal_page and "entered twice" in reversal_page
    # One reversal per entry ever.
    with pytest.raises(service.FundError, match="already"):
        corrections.propose_correction(home.id, staff, duplicate.seq, "again")
    assert first.seq != duplicate.seq


def test_the_proposer_may_withdraw_an_undecided_proposal(books):
    home, staff, sup, sup2, first, duplicate = books
    correction = corrections.propose_correction(home.id, staff, duplicate.seq, "twice")
    with pytest.raises(service.FundError, match="Only the person"):
        corrections.withdraw_correction(home.id, correction.id, sup)
    corrections.withdraw_correction(home.id, correction.id, staff)
    assert db.session.get(Correction, correction.id).status == "withdrawn"
    with pytest.raises(service.FundError, match="already withdrawn"):
        corrections.decide_correction(home.id, correction.id, sup, approve=True)
    assert service.available_fen(home.id) == 1000_00
    decided = corrections.propose_correction(home.id, staff, duplicate.seq, "twice, really")
    corrections.decide_correction(home.id, decided.id, sup2, approve=False, comment="It was two grants")
    with pytest.raises(service.FundError, match="already rejected"):
        corrections.withdraw_correction(home.id, decided.id, staff)


def test_correction_pages_withdraw_and_decide_through_the_console(client, app, books):
    home, staff, sup, sup2, first, duplicate = books
    login(client, staff)
    base = f"/manage/{home.slug}/fund"
    response = post_form(client, f"{base}/corrections/new", {"seq": str(duplicate.seq), "reason": "twice"},
                         form_url=f"{base}/corrections/new?seq={duplicate.seq}")
    assert response.status_code == 302
    correction = db.session.scalar(select(Correction))
    url = f"{base}/corrections/{correction.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Withdraw my proposal" in page and "Approve the correction" not in page
    assert post_form(client, f"{url}/withdraw", {}, form_url=url).status_code == 302
    assert db.session.get(Correction, correction.id).status == "withdrawn"
    bad = post_form(client, f"{base}/corrections/new", {"seq": "999999", "reason": "x"})
    assert bad.status_code == 400 and "no entry with this number" in bad.get_data(as_text=True)
    sale_like = post_form(client, f"{base}/corrections/new", {"seq": str(duplicate.seq), "reason": ""})
    assert sale_like.status_code == 400
    second = corrections.propose_correction(home.id, staff, duplicate.seq, "twice")
    other = app.test_client()
    other.set_cookie("lang", "en")
    login(other, sup2)
    url = f"{base}/corrections/{second.id}"
    assert "Approve the correction" in other.get(url).get_data(as_text=True)
    assert post_form(other, f"{url}/decide", {"approve": "y"}, form_url=url).status_code == 302
    assert db.session.get(Correction, second.id).status == "approved"


def test_other_homes_staff_cannot_see_or_act(client, make, books):
    home, staff, sup, sup2, first, duplicate = books
    correction = corrections.propose_correction(home.id, staff, duplicate.seq, "twice")
    elsewhere = make.home()
    outsider = make.member(elsewhere, "supervisor")
    with pytest.raises(service.FundNotFound):
        corrections.decide_correction(home.id, correction.id, outsider, approve=True)
    with pytest.raises(service.FundNotFound):
        corrections.withdraw_correction(home.id, correction.id, outsider)
    with pytest.raises(service.FundError, match="no entry with this number"):
        corrections.propose_correction(elsewhere.id, outsider, duplicate.seq, "not mine")
    with pytest.raises(service.FundNotFound):  # the correction under the other home's id
        corrections.decide_correction(elsewhere.id, correction.id, outsider, approve=True)
    login(client, outsider)
    base = f"/manage/{home.slug}/fund/corrections"
    assert client.get(f"{base}/{correction.id}").status_code == 404
    assert client.get(f"{base}/new").status_code == 404
    assert post_form(client, f"{base}/{correction.id}/decide", {"approve": "y"},
                     form_url=f"/manage/{elsewhere.slug}/fund/corrections/new").status_code == 404
    assert db.session.get(Correction, correction.id).status == "proposed"


def test_a_lone_supervisors_own_proposals_go_to_the_administrator(client, make):
    home = make.home()
    lone = make.member(home, "supervisor")
    _grant(make, home, lone, 300_00)
    admin = make.user(is_admin=True)
    spending = _proposal(home, lone, 50_00)
    mistaken = _grant(make, home, lone, 20_00)
    correction = corrections.propose_correction(home.id, lone, mistaken.seq, "wrong home")
    assert service.goes_to_admin(home.id, lone.id)
    login(client, admin)
    url = f"/manage/{home.slug}/fund/disbursements/{spending.id}"
    page = client.get(url)
    assert page.status_code == 200 and "Approve and pay" in page.get_data(as_text=True)  # was 404
    assert post_form(client, f"{url}/decide", {"approve": "y"}, form_url=url).status_code == 302
    assert db.session.get(Disbursement, spending.id).status == "approved"
    corrections.decide_correction(home.id, correction.id, admin, approve=True)
    assert service.available_fen(home.id) == 300_00 - 50_00
    # With a second supervisor the home decides for itself: the administrator may not.
    make.member(home, "supervisor")
    again = _proposal(home, lone, 10_00)
    with pytest.raises(service.FundForbidden):
        disbursements.decide_disbursement(home.id, again.id, admin, approve=True)
    # The home's only supervisor proposing is the case; a staff member's proposal in a home
    # with one supervisor is for that supervisor.
    assert verify_ledger().ok


def test_taking_back_money_already_spent_is_refused(make):
    home = make.home()
    staff, sup = make.member(home, "staff"), make.member(home, "supervisor")
    sup2 = make.member(home, "supervisor")
    entry = _grant(make, home, sup, 100_00)
    spend = _proposal(home, staff, 80_00)
    disbursements.decide_disbursement(home.id, spend.id, sup, approve=True)
    correction = corrections.propose_correction(home.id, staff, entry.seq, "wrong")
    with pytest.raises(service.FundError, match="no longer has"):
        corrections.decide_correction(home.id, correction.id, sup2, approve=True)
    assert db.session.get(Correction, correction.id).status == "proposed"  # nothing changed
    assert service.available_fen(home.id) == 20_00


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(st.integers(min_value=1, max_value=10_000_000), min_size=1, max_size=5),
       mistaken=st.data())
def test_corrections_net_exactly_whatever_the_amounts(make, amounts, mistaken):
    home = make.home()
    sup, sup2 = make.member(home, "supervisor"), make.member(home, "supervisor")
    recorded = [_grant(make, home, sup, fen) for fen in amounts]
    wrong = mistaken.draw(st.lists(st.sampled_from(range(len(amounts))), unique=True))
    for index in wrong:
        c = corrections.propose_correction(home.id, sup, recorded[index].seq, "mistake")
        corrections.decide_correction(home.id, c.id, sup2, approve=True)
    kept = sum(fen for i, fen in enumerate(amounts) if i not in wrong)
    assert ledger.home_balances(home.id)["care_fund:available"] == kept
    assert public.summary(home.id).available == kept
