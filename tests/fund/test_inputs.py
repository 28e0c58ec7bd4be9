"""Bad input on every care-fund money form: a clear message, no row written, no entry posted."""

import io
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from market.fund import disbursements, donations, grants, service, settlements
from market.ledger import fund_entries
from market.ledger import service as ledger
from market.ledger.accounts import HOME_OPERATIONS, PAYMENTS_CLEARING
from models import db, utcnow
from models.fund import Disbursement, Donation, Grant, Settlement
from models.ledger import JournalEntry
from tests.conftest import login, post_form
from tests.factories import GRANT_PDF, confirmed_grant, grant_document

pytestmark = pytest.mark.usefixtures("english")  # these tests check English wording


def entries() -> int:
    return db.session.scalar(select(func.count(JournalEntry.id)))


def rows(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 180, 120)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def home_with_money(make):
    """A home with ¥1,000 available in its care fund and ¥1,000 owed on its operations."""
    home = make.home()
    fund_entries.post_grant(home_id=home.id, amount_fen=1000_00, grant_id=9000 + home.id, source="township",
                      memo="seed money")
    ledger.post(kind="sale", idempotency_key=f"test-sale:{home.id}", memo="test", home_id=home.id,
                postings=[(ledger.account(None, PAYMENTS_CLEARING), 1000_00),
                          (ledger.account(home.id, HOME_OPERATIONS), -1000_00)])
    db.session.commit()
    return home


YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def propose(client, home, amount, **fields):
    payload = {"category": "meals", "amount": amount, "payee": "Village shop", "spent_on": YESTERDAY,
               "description": "Rice", **fields}
    payload["receipt"] = (io.BytesIO(png_bytes()), "receipt.png")
    return post_form(client, f"/manage/{home.slug}/fund/disbursements/new", payload,
                     content_type="multipart/form-data")


def donate(client, home, amount, **fields):
    return post_form(client, f"/fund/{home.slug}/donate",
                     {"preset": "custom", "custom_amount": amount, "anonymous": "y", **fields})


def grant(client, home, amount, **fields):
    return post_form(client, f"/manage/{home.slug}/fund/grants/new",
                     {"source": "township", "source_name": "Township", "amount": amount,
                      "received_on": YESTERDAY, "document": (io.BytesIO(GRANT_PDF), "notice.pdf"), **fields},
                     content_type="multipart/form-data")


def settle(client, home, amount, **fields):
    return post_form(client, f"/manage/{home.slug}/fund/settlements/new",
                     {"account_code": "home_operations", "amount": amount, "paid_on": YESTERDAY,
                      "reference": "BANK-1", **fields})


def confirm(client, home, amount):
    donation = db.session.scalar(select(Donation).where(Donation.status == "pending"))
    return post_form(client, f"/manage/{home.slug}/fund/donations/{donation.id}/confirm",
                     {f"d{donation.id}-amount": amount}, form_url=f"/manage/{home.slug}/fund/donations")


FORMS = {
    "disbursement": (propose, "supervisor", Disbursement),
    "donation": (donate, None, Donation),
    "grant": (grant, "supervisor", Grant),
    "settlement": (settle, "admin", Settlement),
    "confirmation": (confirm, "staff", Donation),
}


def _ready(client, make, home, form):
    """Log in as who may use the form; for a confirmation, a pledged donation to confirm."""
    post, who, model = FORMS[form]
    if who == "admin":
        login(client, make.user(is_admin=True))
    elif who:
        login(client, make.member(home, who))
    if form == "confirmation":
        donations.create_donation(home.id, 50_00)
    return post, model


BAD_AMOUNTS = [
    ("0", "more than zero"),
    ("0.00", "more than zero"),
    ("-5", "more than zero"),
    ("－5", "more than zero"),  # a full-width minus
    ("12.345", "two decimals"),
    ("abc", "two decimals"),
    ("1e3", "two decimals"),
    ("NaN", "two decimals"),
    ("", "Enter an amount"),
    ("10000000.01", "too large"),
    ("99999999999999999999", "too large"),
    ("12,50", "point for decimals"),
    ("1,2,3", "point for decimals"),
]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("amount, message", BAD_AMOUNTS)
def test_bad_amounts_refused_on_every_money_form(client, make, home_with_money, form, amount, message):
    home = home_with_money
    post, model = _ready(client, make, home, form)
    before_entries, before_rows = entries(), rows(model)
    response = post(client, home, amount)
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert message in response.get_data(as_text=True)
    assert entries() == before_entries and rows(model) == before_rows
    if form == "confirmation":
        assert db.session.scalar(select(Donation.status)) == "pending"


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("amount", ["１２．５０", "¥12.50", "12.5"])
def test_full_width_digits_are_read_as_yuan(client, make, home_with_money, form, amount):
    home = home_with_money
    post, model = _ready(client, make, home, form)
    response = post(client, home, amount)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    column = model.received_fen if form == "confirmation" else model.amount_fen
    assert db.session.scalar(select(column).order_by(model.id.desc()).limit(1)) == 1250


def test_grouped_thousands_accepted_decimal_comma_refused():
    assert service.parse_amount("1,200.50") == 120050
    assert service.parse_amount("￥１，２００") == 120000
    assert service.parse_amount(" ¥ 12.5 ") == 1250
    with pytest.raises(service.FundError, match="point for decimals"):
        service.parse_amount("12,50")
    with pytest.raises(service.FundError, match="point for decimals"):
        service.parse_amount("1,20.00")


def test_the_largest_amount_is_ten_million_yuan():
    assert service.parse_amount("10000000") == service.MAX_AMOUNT_FEN == 10_000_000_00
    with pytest.raises(service.FundError, match="too large"):
        service.check_amount(10_000_000_01)


def test_amount_above_the_available_care_fund_refused(client, make, home_with_money):
    home = home_with_money
    login(client, make.member(home, "staff"))
    before = entries()
    response = propose(client, home, "1000.01")
    assert response.status_code == 400 and "more than the available" in response.get_data(as_text=True)
    assert rows(Disbursement) == 0 and entries() == before


def test_settlement_above_what_is_owed_refused(client, make, home_with_money):
    home = home_with_money
    login(client, make.user(is_admin=True))
    before = entries()
    response = settle(client, home, "1000.01")
    assert response.status_code == 400 and "more than the home is owed" in response.get_data(as_text=True)
    assert rows(Settlement) == 0 and entries() == before


DATE_FORMS = {"disbursement": (propose, "spent_on"), "grant": (grant, "received_on"),
              "settlement": (settle, "paid_on")}
TOMORROW_IN_CHINA = (utcnow() + timedelta(hours=8) + timedelta(days=1)).date().isoformat()


@pytest.mark.parametrize("form", DATE_FORMS)
@pytest.mark.parametrize("day, message", [
    (TOMORROW_IN_CHINA, "cannot be in the future"),
    ("2999-01-01", "cannot be in the future"),
    ("1999-12-31", "too far in the past"),
    ("0001-01-01", "too far in the past"),
    ("2026-13-45", "Not a valid date"),
    ("yesterday", "Not a valid date"),
    ("", "Give the date"),
])
def test_bad_dates_refused(client, make, home_with_money, form, day, message):
    home = home_with_money
    post, model = _ready(client, make, home, form)
    post_dated, field = DATE_FORMS[form]
    before_entries, before_rows = entries(), rows(model)
    response = post_dated(client, home, "12.50", **{field: day})
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert message in response.get_data(as_text=True)
    assert entries() == before_entries and rows(model) == before_rows


def test_bad_dates_refused_by_the_service(make, home_with_money):
    home = home_with_money
    sup, admin = make.member(home, "supervisor"), make.user(is_admin=True)
    future = utcnow().date() + timedelta(days=2)
    before = entries()
    for day in (future, date(1999, 12, 31), "2026-11-01", None):
        with pytest.raises(service.FundError):
            disbursements.propose_disbursement(home.id, sup, disbursements.Proposal("meals", 100,
                                               "Shop", day, ""),
                                         io.BytesIO(png_bytes()))
        with pytest.raises(service.FundError):
            grants.record_grant(home.id, sup, source="township", source_name="T", amount_fen=100,
                                received_on=day, document=grant_document())
        with pytest.raises(service.FundError):
            settlements.record_settlement(home.id, admin, account_code="home_operations", amount_fen=100,
                                      paid_on=day)
    assert entries() == before and rows(Disbursement) == rows(Grant) == rows(Settlement) == 0
    today = utcnow().date()
    confirmed_grant(home, sup, admin, 100, received_on=today)
    assert entries() == before + 1


PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.mark.parametrize("payload, filename", [
    (b"MZ\x90\x00\x03\x00\x00\x00 a program", "receipt.pdf"),  # a renamed .exe
    (b"<!doctype html><html><script>alert(document.cookie)</script></html>", "receipt.pdf"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "receipt.png"),
    (b"%PDF-<html><script>alert(1)</script></html>", "receipt.pdf"),  # the header alone
    (PDF[:-7], "receipt.pdf"),  # a truncated PDF: no %%EOF
    (b"GIF89a\x01\x00\x01\x00", "receipt.gif"),
])
def test_receipts_that_are_not_pictures_or_pdfs_refused(client, make, home_with_money, payload, filename):
    home = home_with_money
    login(client, make.member(home, "staff"))
    payload_form = {"category": "meals", "amount": "12.50", "payee": "Shop", "spent_on": YESTERDAY,
                    "receipt": (io.BytesIO(payload), filename)}
    response = post_form(client, f"/manage/{home.slug}/fund/disbursements/new", payload_form,
                         content_type="multipart/form-data")
    assert response.status_code == 400
    assert "not a PDF or a JPEG, PNG or WebP picture" in response.get_data(as_text=True)
    assert rows(Disbursement) == 0


def test_receipt_over_the_upload_limit_refused(app, client, make, home_with_money):
    home = home_with_money
    login(client, make.member(home, "staff"))
    limit = app.config["UPLOAD_MAX_BYTES"]
    big = PDF[:-6] + b" " * limit + b"%%EOF\n"
    payload_form = {"category": "meals", "amount": "12.50", "payee": "Shop", "spent_on": YESTERDAY,
                    "receipt": (io.BytesIO(big), "big.pdf")}
    response = post_form(client, f"/manage/{home.slug}/fund/disbursements/new", payload_form,
                         content_type="multipart/form-data")
    assert response.status_code == 400
    assert f"at most {limit // (1024 * 1024)} MB" in response.get_data(as_text=True)
    assert rows(Disbursement) == 0


@pytest.mark.parametrize("payload, content_type", [(PDF, "application/pdf"), (png_bytes(), "image/jpeg")])
def test_receipts_are_served_so_they_cannot_run_as_pages(client, make, home_with_money, payload,
                                                         content_type):
    home = home_with_money
    staff, sup = make.member(home, "staff"), make.member(home, "supervisor")
    d = _propose(home, staff, 1250, payload)
    login(client, staff)
    private = client.get(f"/manage/{home.slug}/fund/disbursements/{d.id}/receipt")
    assert private.status_code == 200 and private.mimetype == content_type
    assert private.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in private.headers["Cache-Control"] and "public" not in private.headers["Cache-Control"]
    assert client.get(f"/fund/{home.slug}/receipts/{d.id}").status_code == 404  # proposals stay private
    disbursements.decide_disbursement(home.id, d.id, sup, approve=True)
    public = client.get(f"/fund/{home.slug}/receipts/{d.id}")
    assert public.status_code == 200 and public.mimetype == content_type
    assert public.headers["X-Content-Type-Options"] == "nosniff"
    assert public.headers["Content-Disposition"].startswith("inline")
    if content_type == "application/pdf":
        assert public.get_data() == payload  # a PDF is kept as sent
    # A stored type that is not one we write (a tampered row) is only ever a download.
    d.receipt_content_type = "text/html"
    db.session.commit()
    tampered = client.get(f"/fund/{home.slug}/receipts/{d.id}")
    assert tampered.mimetype == "application/octet-stream"
    assert tampered.headers["Content-Disposition"].startswith("attachment")
    assert tampered.headers["X-Content-Type-Options"] == "nosniff"


def _propose(home, user, fen, receipt=None):
    proposal = disbursements.Proposal("meals", fen, "Shop", date(2026, 1, 1), "")
    return disbursements.propose_disbursement(home.id, user, proposal, io.BytesIO(receipt or png_bytes()))


def _decide(client, home, d_id, **data):
    return post_form(client, f"/manage/{home.slug}/fund/disbursements/{d_id}/decide", data,
                     form_url=f"/manage/{home.slug}/fund/")


def test_decisions_that_are_refused_post_nothing(client, make, home_with_money):
    home = home_with_money
    other = make.home()
    staff, sup, sup2 = (make.member(home, role) for role in ("staff", "supervisor", "supervisor"))
    outsider = make.member(other, "supervisor")
    own, d = _propose(home, sup, 1000), _propose(home, staff, 2000)
    before = entries()

    def refused(user, d_id, code, message=None, slug_home=home, **data):
        client.delete_cookie("session")
        login(client, user)
        response = _decide(client, slug_home, d_id, **(data or {"approve": "y"}))
        assert response.status_code == code, (user.id, d_id, response.status_code)
        if message:
            assert message in response.get_data(as_text=True)
        assert entries() == before

    refused(staff, d.id, 403, "Only a supervisor")  # staff may not decide
    refused(sup, own.id, 409, "their own proposal")  # nobody approves their own proposal
    refused(sup, own.id, 409, "their own proposal", reject="y", comment="no")  # nor rejects it
    refused(outsider, d.id, 404)  # a supervisor of another home
    refused(outsider, d.id, 404, slug_home=other)  # …even under their own home's address
    refused(sup, 999_999, 404)  # a disbursement id that does not exist
    refused(sup, d.id, 400, approve="y", comment="x" * 2001)  # an over-long comment
    refused(sup, d.id, 409, "why", reject="y")  # a rejection needs a reason
    assert db.session.get(Disbursement, d.id).status == "proposed"
    login(client, sup)
    assert _decide(client, home, d.id, approve="y").status_code == 302
    approved = entries()
    before = approved
    refused(sup2, d.id, 409, "already approved")  # approving twice
    refused(sup2, d.id, 409, "already approved", reject="y", comment="changed my mind")  # rejecting after
    confirmed_grant(other, make.user(is_admin=True), make.member(other, "supervisor"), 100)
    before = entries()
    other_d = _propose(other, make.member(other, "staff"), 1)
    refused(sup, other_d.id, 404)  # another home's proposal under this home's address
    login(client, sup)
    assert _decide(client, home, own.id, reject="y", comment="no").status_code == 409
    login(client, sup2)
    assert _decide(client, home, own.id, reject="y", comment="receipt unreadable").status_code == 302
    refused(sup2, own.id, 409, "already rejected")  # approving after rejection
    db.session.expire_all()
    assert db.session.get(Disbursement, own.id).status == "rejected"
    assert db.session.get(Disbursement, other_d.id).status == "proposed"


def test_tampered_settlement_account_refused(client, make, home_with_money):
    home = home_with_money
    admin = make.user(is_admin=True)
    login(client, admin)
    before = entries()
    for code in ("care_fund:available", "care_fund:pending", "payments_clearing", "fee_revenue", ""):
        response = settle(client, home, "10.00", account_code=code)
        assert response.status_code == 400, code
        with pytest.raises(service.FundError):
            settlements.record_settlement(home.id, admin, account_code=code, amount_fen=1000,
                                      paid_on=date(2026, 11, 1))
    for home_id in (999_999, None, "1", -1):
        with pytest.raises(service.FundNotFound):
            settlements.record_settlement(home_id, admin, account_code="home_operations", amount_fen=1000,
                                      paid_on=date(2026, 11, 1))
    assert entries() == before and rows(Settlement) == 0


def _confirmed_donation(client, make, home, **fields):
    response = donate(client, home, "66.60", **fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    donation = db.session.scalar(select(Donation).order_by(Donation.id.desc()).limit(1))
    donations.confirm_donation(donation.id, donation.amount_fen, "offline")
    return donation


def test_a_donor_is_named_publicly_only_when_they_chose_to_be(client, make):
    home = make.home()
    named = _confirmed_donation(client, make, home, anonymous="", donor_name="Li Hua")
    hidden = _confirmed_donation(client, make, home, anonymous="y", donor_name="Secret Person")
    assert (named.donor_name, named.anonymous) == ("Li Hua", False)
    assert (hidden.donor_name, hidden.anonymous) == ("", True)  # the name is not even kept
    page = client.get(f"/fund/{home.slug}").get_data(as_text=True)
    assert "Li Hua" in page and "Secret Person" not in page
    exported = client.get(f"/fund/{home.slug}/entries.json").get_data(as_text=True)
    assert "Secret Person" not in exported
    # 100% of each donation to the home's care fund: nothing to fees, operations or incentives.
    balances = ledger.home_balances(home.id)
    assert balances["care_fund:available"] == 2 * 6660
    assert sum(v for k, v in balances.items() if not k.startswith("care_fund")) == 0


@pytest.mark.parametrize("fields, message", [
    ({"message": "谢" * 501}, "500"),
    ({"anonymous": "", "donor_name": "名" * 81}, "80"),
    ({"anonymous": "", "donor_name": "  "}, "Give the name to show"),
])
def test_donation_message_and_name_are_limited(client, make, fields, message):
    home = make.home()
    response = donate(client, home, "20", **fields)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert rows(Donation) == 0
    with pytest.raises(service.FundError):
        donations.create_donation(home.id, 2000, anonymous=False,
                                  donor_name=" ")
    long = donations.create_donation(home.id, 2000, message="谢" * 5000, anonymous=False,
                                     donor_name="名" * 200)
    assert len(long.message) == 500 and len(long.donor_name) == 80
