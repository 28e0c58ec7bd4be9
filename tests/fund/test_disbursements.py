"""Care-fund spending: staff propose with a receipt, a supervisor of that home decides."""

import io
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import func, select

from market.fund import disbursements, service
from market.ledger import fund_entries
from market.ledger import service as ledger
from models import db
from models.fund import Disbursement
from models.ledger import JournalEntry
from tests.conftest import login, post_form

pytestmark = pytest.mark.usefixtures("english")  # these tests check English wording


def png_bytes(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 180, 120)).save(out, "PNG")
    return out.getvalue()


def fund(home, fen=100_00, grant_id=9000):
    fund_entries.post_grant(home_id=home.id, amount_fen=fen, grant_id=grant_id + home.id, source="township",
                      memo="seed money")
    db.session.commit()


def entries() -> int:
    return db.session.scalar(select(func.count(JournalEntry.id)))


@pytest.fixture
def setup(make):
    home = make.home()
    staff = make.member(home, "staff")
    sup = make.member(home, "supervisor")
    sup2 = make.member(home, "supervisor")
    fund(home)
    return home, staff, sup, sup2


def propose(client, home, data=None, receipt=None, filename="receipt.png"):
    payload = {"category": "meals", "amount": "30.50", "payee": "Village shop", "spent_on": "2026-11-01",
               "description": "Rice and oil for the dining table"}
    payload.update(data or {})
    payload["receipt"] = (io.BytesIO(png_bytes() if receipt is None else receipt), filename)
    url = f"/manage/{home.slug}/fund/disbursements/new"
    return post_form(client, url, payload, content_type="multipart/form-data")


def test_propose_then_approve_posts_and_publishes_receipt(client, app, setup):
    home, staff, sup, _sup2 = setup
    login(client, staff)
    response = propose(client, home)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    d = db.session.scalar(select(Disbursement))
    assert d.status == "proposed" and d.amount_fen == 3050 and d.receipt_content_type == "image/jpeg"
    before = entries()
    # Not public yet.
    assert client.get(f"/fund/{home.slug}/receipts/{d.id}").status_code == 404
    client.post("/logout", data={})
    client.delete_cookie("session")
    login(client, sup)
    url = f"/manage/{home.slug}/fund/disbursements/{d.id}/decide"
    response = post_form(client, url, {"comment": "ok", "approve": "y"},
                         form_url=f"/manage/{home.slug}/fund/disbursements/{d.id}")
    assert response.status_code == 302
    db.session.expire_all()
    d = db.session.get(Disbursement, d.id)
    assert d.status == "approved" and d.decided_by_id == sup.id and d.entry_id
    assert entries() == before + 1
    assert ledger.home_balances(home.id)["care_fund:available"] == 100_00 - 3050
    assert ledger.home_balances(home.id)["care_fund:spent"] == 3050
    public = client.get(f"/fund/{home.slug}")
    assert f"/fund/{home.slug}/receipts/{d.id}" in public.get_data(as_text=True)
    receipt = client.get(f"/fund/{home.slug}/receipts/{d.id}")
    assert receipt.status_code == 200 and receipt.mimetype == "image/jpeg"


def test_pdf_receipt_accepted(client, setup):
    home, staff, *_ = setup
    login(client, staff)
    response = propose(client, home, receipt=b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n", filename="r.pdf")
    assert response.status_code == 302
    assert db.session.scalar(select(Disbursement)).receipt_content_type == "application/pdf"


@pytest.mark.parametrize("amount, message", [
    ("0", "more than zero"),
    ("-5", "more than zero"),
    ("12.345", "two decimals"),
    ("abc", "two decimals"),
    ("100.01", "more than the available"),
])
def test_bad_amounts_refused(client, setup, amount, message):
    home, staff, *_ = setup
    login(client, staff)
    before = entries()
    response = propose(client, home, {"amount": amount})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Disbursement.id))) == 0
    assert entries() == before


def test_non_image_and_oversized_receipts_refused(client, app, setup):
    home, staff, *_ = setup
    login(client, staff)
    response = propose(client, home, receipt=b"MZ\x90\x00 this is an exe", filename="receipt.jpg")
    assert response.status_code == 400
    assert "not a PDF" in response.get_data(as_text=True)
    app.config["UPLOAD_MAX_BYTES"] = 1000
    response = propose(client, home, receipt=b"%PDF-" + b"x" * 2000, filename="big.pdf")
    assert response.status_code == 400
    assert "too large" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Disbursement.id))) == 0


def _proposal(home, user, fen=2000):
    return disbursements.propose_disbursement(
        home.id, user, disbursements.Proposal("meals", fen, "Shop", date(2026, 11, 1), "rice"),
        io.BytesIO(png_bytes()),
    )


def test_nobody_approves_their_own_proposal(app, setup):
    home, _staff, sup, _sup2 = setup
    d = _proposal(home, sup)
    with pytest.raises(service.FundError, match="own proposal"):
        disbursements.decide_disbursement(home.id, d.id, sup, approve=True)
    assert db.session.get(Disbursement, d.id).status == "proposed"


def test_staff_cannot_decide(app, setup):
    home, staff, sup, _ = setup
    d = _proposal(home, sup)
    with pytest.raises(service.FundForbidden):
        disbursements.decide_disbursement(home.id, d.id, staff, approve=True)


def test_approving_twice_and_after_rejection_refused(app, setup):
    home, staff, sup, sup2 = setup
    d = _proposal(home, staff)
    disbursements.decide_disbursement(home.id, d.id, sup, approve=True, comment="fine")
    count = entries()
    with pytest.raises(service.FundError, match="already"):
        disbursements.decide_disbursement(home.id, d.id, sup2, approve=True)
    assert entries() == count
    d2 = _proposal(home, staff)
    disbursements.decide_disbursement(home.id, d2.id, sup, approve=False, comment="no receipt total")
    with pytest.raises(service.FundError, match="already"):
        disbursements.decide_disbursement(home.id, d2.id, sup2, approve=True)
    assert entries() == count
    assert db.session.get(Disbursement, d2.id).status == "rejected"


def test_reject_needs_a_comment(app, setup):
    home, staff, sup, _ = setup
    d = _proposal(home, staff)
    with pytest.raises(service.FundError, match="why"):
        disbursements.decide_disbursement(home.id, d.id, sup, approve=False, comment="  ")


def test_approval_above_available_refused(app, setup):
    home, staff, sup, sup2 = setup
    first = _proposal(home, staff, 80_00)
    second = _proposal(home, staff, 80_00)  # each fits alone; not both
    disbursements.decide_disbursement(home.id, first.id, sup, approve=True)
    count = entries()
    with pytest.raises(service.FundError, match="available"):
        disbursements.decide_disbursement(home.id, second.id, sup2, approve=True)
    assert entries() == count
    assert db.session.get(Disbursement, second.id).status == "proposed"


def test_supervisor_of_another_home_gets_404(client, make, setup):
    home, staff, _sup, _ = setup
    other = make.home()
    outsider = make.member(other, "supervisor")
    d = _proposal(home, staff)
    with pytest.raises(service.FundNotFound):
        disbursements.decide_disbursement(home.id, d.id, outsider, approve=True)
    login(client, outsider)
    assert client.get(f"/manage/{home.slug}/fund/").status_code == 404
    assert client.get(f"/manage/{home.slug}/fund/disbursements/{d.id}").status_code == 404
    assert client.get(f"/manage/{home.slug}/fund/disbursements/{d.id}/receipt").status_code == 404
    # Tampered home: the proposal id under the outsider's own home.
    response = post_form(client, f"/manage/{other.slug}/fund/disbursements/{d.id}/decide",
                         {"approve": "y"}, form_url=f"/manage/{other.slug}/fund/")
    assert response.status_code == 404
    assert db.session.get(Disbursement, d.id).status == "proposed"


def test_tampered_home_id_in_service(app, make, setup):
    home, staff, sup, _ = setup
    other = make.home()
    d = _proposal(home, staff)
    with pytest.raises(service.FundNotFound):
        disbursements.decide_disbursement(other.id, d.id, sup, approve=True)
    with pytest.raises(service.FundNotFound):
        disbursements.decide_disbursement(10_000, d.id, sup, approve=True)


def test_console_page_shows_form_only_to_other_supervisor(client, setup):
    home, staff, sup, _ = setup
    d = _proposal(home, sup)
    login(client, sup)
    page = client.get(f"/manage/{home.slug}/fund/disbursements/{d.id}").get_data(as_text=True)
    assert 'name="approve"' not in page
