"""Per-elder earnings: each credited elder's incentive in their own ledger account, refunds
taking back from it, payouts signed off by a second person, and the printable sheet."""

import re
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from market import clock, hooks
from market.fund import elder_pay
from market.fund import month_settlements as months
from market.fund.service import FundError, FundForbidden, FundNotFound
from market.ledger import accounts as codes
from market.ledger import offline
from market.ledger import service as ledger
from market.ledger.allocation import split_line
from market.ledger.verify import verify_ledger
from models import db, utcnow
from models.fund import ElderPayout
from models.ledger import JournalEntry
from models.payments import Payment
from tests.conftest import login, post_form
from tests.factories import order_rows, posted_sale, refund_rows

pytestmark = pytest.mark.usefixtures("english")


def _owed(home, elder):
    return elder_pay.elder_balance(home.id, elder.id)


@pytest.fixture
def elder_books(make):
    """A home with two supervisors, a staff member, an elder credited on a ¥100 sale at 5%."""
    home = make.home()
    staff = make.member(home, "staff")
    sup = make.member(home, "supervisor")
    sup2 = make.member(home, "supervisor")
    elder = make.elder(home)
    order = posted_sale(make, home=home, elder=elder, lines=((10000, 2000, 500, 1000, "produce"),))
    return home, staff, sup, sup2, elder, order


def _pay(home, user, elder, fen=300, **fields):
    values = {"method": "cash", "paid_by": "Li Mei", "paid_on": clock.local_today(home=home)} | fields
    return elder_pay.record_payout(home.id, user, elder_id=elder.id, amount_fen=fen, **values)


def test_the_incentive_lands_in_the_elders_own_account_and_a_line_without_elder_in_the_pool(make):
    home = make.home()
    elder = make.elder(home)
    posted_sale(make, home=home, elder=elder, lines=((10000, 2000, 500, 1000, "produce"),))
    posted_sale(make, home=home, lines=((4000, 2000, 500, 0, "produce"),))  # names no elder
    per = ledger.home_balances(home.id, per_elder=True)
    assert per[codes.elder_code(elder.id)] == 500 and per[codes.ELDER_INCENTIVE] == 200
    assert ledger.home_balances(home.id)[codes.ELDER_INCENTIVE] == 700  # what the home owes elders
    assert verify_ledger().ok


@pytest.fixture
def prop_home(make):
    """One home, two elders and a listing for every example (a listing per example would rebuild
    the search index each time)."""
    home = make.home()
    return home, [make.elder(home), make.elder(home), None], make.listing(home)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.tuples(st.integers(1, 500_000), st.integers(0, 3000), st.integers(0, 2000),
                                st.integers(0, 2000), st.integers(0, 2), st.integers(0, 100)),
                      min_size=1, max_size=4))
def test_property_elder_balances_sum_to_what_sales_and_refunds_credit(make, prop_home, lines):
    home, elders, listing = prop_home
    before = ledger.home_balances(home.id, per_elder=True)
    expected: dict = {}
    for amount, care, incentive, fee, who, refund_pct in lines:
        elder = elders[who]
        order = order_rows(make, home=home, elder=elder, listing=listing,
                           lines=((amount, care, incentive, fee, "produce"),))
        hooks.order_paid.send(order)
        line = order.lines[0]
        share = split_line(amount, care, incentive, fee)["incentive"]  # largest remainder
        back = amount * refund_pct // 100
        if back:
            entry = hooks_refund(refund_rows(order, {line.id: back}))
            taken = sum(p.amount for p in entry.postings if p.share == "incentive")
            assert 0 <= taken <= share
            share -= taken
        code = codes.elder_code(elder.id) if elder else codes.ELDER_INCENTIVE
        expected[code] = expected.get(code, 0) + share
    db.session.commit()
    after = ledger.home_balances(home.id, per_elder=True)
    for code in {codes.elder_code(e.id) for e in elders[:2]} | {codes.ELDER_INCENTIVE}:
        assert after.get(code, 0) - before.get(code, 0) == expected.get(code, 0)
    for entry in db.session.scalars(select(JournalEntry)):
        assert sum(p.amount for p in entry.postings) == 0


def hooks_refund(refund):
    from market.ledger.entries import post_refund

    return post_refund(refund)


def test_a_refund_takes_back_from_the_same_elders_account(make, elder_books):
    home, _staff, _sup, _sup2, elder, order = elder_books
    refund = refund_rows(order, {order.lines[0].id: 10000})
    hooks_refund(refund)
    db.session.commit()
    assert _owed(home, elder) == 0
    assert verify_ledger().ok


def test_a_payout_needs_two_different_people(make, elder_books):
    home, staff, sup, sup2, elder, _order = elder_books
    payout = _pay(home, staff, elder, 300)
    assert _owed(home, elder) == 500 and payout.entry_id is None  # nothing posted yet
    with pytest.raises(FundForbidden):  # staff never sign off
        elder_pay.decide_payout(home.id, payout.id, make.member(home, "staff"), approve=True)
    own = _pay(home, sup, elder, 100)
    with pytest.raises(FundError, match="own proposal"):
        elder_pay.decide_payout(home.id, own.id, sup, approve=True)
    elder_pay.decide_payout(home.id, payout.id, sup, approve=True)
    payout = db.session.get(ElderPayout, payout.id)
    assert payout.status == "approved" and payout.decided_by_id == sup.id and payout.entry_id
    entry = db.session.get(JournalEntry, payout.entry_id)
    assert {(p.account.code, p.amount) for p in entry.postings} == {
        (codes.elder_code(elder.id), 300), (codes.HOME_CASH, -300)}
    assert _owed(home, elder) == 200
    elder_pay.decide_payout(home.id, own.id, sup2, approve=True)
    assert _owed(home, elder) == 100
    assert verify_ledger().ok


def test_a_one_supervisor_home_goes_to_the_administrator(make):
    home = make.home()
    sup = make.member(home, "supervisor")
    elder = make.elder(home)
    posted_sale(make, home=home, elder=elder, lines=((10000, 2000, 500, 1000, "produce"),))
    payout = _pay(home, sup, elder, 200)
    admin = make.user(is_admin=True)
    elder_pay.decide_payout(home.id, payout.id, admin, approve=True)
    assert _owed(home, elder) == 300


@pytest.mark.parametrize("fen, fields, message", [
    (501, {}, "more than the elder is owed"),
    (0, {}, "more than zero"),
    (-5, {}, "more than zero"),
    ("12", {}, "amount in yuan"),
    (True, {}, "amount in yuan"),
    (100, {"method": "gold"}, "how the money was paid"),
    (100, {"paid_by": "  "}, "name of the person"),
    (100, {"paid_on": date(1999, 1, 1)}, "too far in the past"),
    (100, {"paid_on": "yesterday"}, "date the money was paid"),
])
def test_bad_payouts_are_refused_and_nothing_is_written(make, elder_books, fen, fields, message):
    home, staff, _sup, _sup2, elder, _order = elder_books
    with pytest.raises(FundError, match=message):
        _pay(home, staff, elder, fen, **fields)
    assert db.session.scalar(select(ElderPayout.id)) is None


def test_waiting_payouts_count_against_the_balance_and_a_withdrawn_one_frees_it(make, elder_books):
    home, staff, sup, _sup2, elder, _order = elder_books
    first = _pay(home, staff, elder, 400)
    with pytest.raises(FundError, match="more than the elder is owed"):
        _pay(home, staff, elder, 200)
    with pytest.raises(FundError, match="Only the person who recorded it"):
        elder_pay.withdraw_payout(home.id, first.id, sup)
    elder_pay.withdraw_payout(home.id, first.id, staff)
    assert db.session.get(ElderPayout, first.id).status == "withdrawn"
    with pytest.raises(FundError, match="already"):
        elder_pay.decide_payout(home.id, first.id, sup, approve=True)
    second = _pay(home, staff, elder, 200)
    with pytest.raises(FundError, match="Say why"):
        elder_pay.decide_payout(home.id, second.id, sup, approve=False)
    elder_pay.decide_payout(home.id, second.id, sup, approve=False, comment="not paid yet")
    assert _owed(home, elder) == 500


def test_unknown_elder_and_another_homes_elder_are_refused(make, elder_books):
    home, staff, _sup, _sup2, _elder, _order = elder_books
    other = make.home()
    theirs = make.elder(other)
    for elder_id in (theirs.id, 999_999, "1"):
        with pytest.raises(FundNotFound):
            elder_pay.record_payout(home.id, staff, elder_id=elder_id, amount_fen=100, method="cash",
                                    paid_by="Li", paid_on=clock.local_today())
    with pytest.raises(FundNotFound):  # not a member of the other home
        _pay(other, staff, theirs, 100)
    assert db.session.scalar(select(ElderPayout.id)) is None


def test_the_sheet_total_equals_the_ledger_balance(make, elder_books):
    home, staff, sup, _sup2, elder, order = elder_books
    posted_sale(make, home=home, elder=elder, lines=((3333, 1000, 700, 500, "craft"),))
    hooks_refund(refund_rows(order, {order.lines[0].id: 2500}))
    db.session.commit()
    elder_pay.decide_payout(home.id, _pay(home, staff, elder, 150).id, sup, approve=True)
    sheet = elder_pay.elder_sheet(home.id, elder.id)
    assert sheet.balance == _owed(home, elder)
    assert sheet.earned - sheet.paid == sheet.balance
    assert [e.kind for e in sheet.earnings] == ["sale", "sale", "refund"]
    assert sheet.earnings[0].order_reference == order.reference


def test_pages_sheet_payout_and_isolation(client, make, elder_books):
    home, staff, sup, _sup2, elder, order = elder_books
    base = f"/manage/{home.slug}/fund/elders"
    login(client, staff)
    page = client.get(f"{base}/{elder.id}").get_data(as_text=True)
    assert order.reference in page and "¥5.00" in page
    bad = post_form(client, f"{base}/{elder.id}/payouts/new",
                    {"amount": "9.99", "method": "cash", "paid_by": "Li Mei",
                     "paid_on": clock.local_today().isoformat()})
    assert bad.status_code == 400 and "more than the elder is owed" in bad.get_data(as_text=True)
    response = post_form(client, f"{base}/{elder.id}/payouts/new",
                         {"amount": "3.00", "method": "wechat", "paid_by": "Li Mei",
                          "paid_on": clock.local_today().isoformat()})
    assert response.status_code == 302
    payout_url = response.headers["Location"]
    payout_id = int(re.search(r"/payouts/(\d+)", payout_url).group(1))
    own = post_form(client, f"{base}/payouts/{payout_id}/decide", {"approve": "y"}, form_url=payout_url)
    assert own.status_code == 403  # staff: never; and never their own
    client.post("/logout")
    login(client, sup)
    assert post_form(client, f"{base}/payouts/{payout_id}/decide", {"approve": "y"}).status_code == 302
    assert _owed(home, elder) == 200
    sheet = client.get(f"{base}/{elder.id}").get_data(as_text=True)
    seq = db.session.get(JournalEntry, db.session.get(ElderPayout, payout_id).entry_id).seq
    assert f"/ledger/entries/{seq}" in sheet or f"seq={seq}" in sheet or f"/{seq}\"" in sheet
    # Another home's supervisor sees nothing of this elder and cannot pay them.
    other = make.home()
    outsider = make.member(other, "supervisor")
    client.post("/logout")
    login(client, outsider)
    for url in (base + "/", f"{base}/{elder.id}", f"{base}/payouts/{payout_id}",
                f"{base}/{elder.id}/payouts/new"):
        assert client.get(url).status_code == 404
    theirs = f"/manage/{other.slug}/fund/elders"
    assert client.get(f"{theirs}/{elder.id}").status_code == 404
    assert client.get(f"{theirs}/payouts/{payout_id}").status_code == 404


def test_month_settlement_hands_over_the_elders_money_and_keeps_their_claim(make):
    home = make.home()
    admin = make.user(is_admin=True)
    sup = make.member(home, "supervisor")
    staff = make.member(home, "staff")
    elder = make.elder(home)
    order = order_rows(make, home=home, elder=elder, lines=((10000, 2000, 500, 1000, "produce"),))
    order.paid_at = utcnow().replace(day=1) - timedelta(days=10)  # online, last month
    hooks.order_paid.send(order)
    db.session.commit()
    month = order.paid_at.strftime("%Y-%m")
    figures = offline.month_figures(home.id, month)
    assert (figures["incentive"], figures["elders"], figures["pooled"]) == (500, 500, 0)
    assert months.holdings(home.id).platform_holds == 9000
    months.record_month_settlement(home.id, admin, month=month, method="transfer", paid_by="Platform",
                                   paid_on=clock.local_today())
    held = months.holdings(home.id)
    # The platform sent operations 65.00 + the elder's 5.00; it still holds the care fund 20.00.
    assert held.platform_holds == 2000 and held.home_holds == 7000 and held.owed_to_elders == 500
    assert _owed(home, elder) == 500  # the elder's claim waits for the payout
    elder_pay.decide_payout(home.id, _pay(home, staff, elder, 500).id, sup, approve=True)
    held = months.holdings(home.id)
    assert held.home_holds == 6500 and held.owed_to_elders == 0 and held.platform_holds == 2000
    assert verify_ledger().ok


def test_offline_sale_elder_paid_from_the_homes_cash(make):
    home = make.home()
    sup, sup2 = make.member(home, "supervisor"), make.member(home, "supervisor")
    elder = make.elder(home)
    order = order_rows(make, home=home, elder=elder, lines=((10000, 2000, 500, 1000, "produce"),))
    db.session.add(Payment(order_id=order.id, provider="offline", amount_fen=order.total_fen,
                           status="succeeded"))
    db.session.flush()
    hooks.order_paid.send(order)
    db.session.commit()
    elder_pay.decide_payout(home.id, _pay(home, sup, elder, 500).id, sup2, approve=True)
    assert ledger.home_balances(home.id)[codes.HOME_CASH] == 9500
    assert verify_ledger().ok


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fees=st.integers(-10**8, 10**8), operations=st.integers(0, 10**8), pooled=st.integers(0, 10**8),
       elders=st.integers(0, 10**8))
def test_settlement_with_the_elders_share_balances_and_never_touches_their_accounts(make, fees, operations,
                                                                                 pooled, elders):
    home = make.home()
    rows = offline.month_settlement_postings(home.id, fees, operations, pooled, elders=elders)
    assert sum(row[1] for row in rows) == 0
    assert not any(codes.is_elder_code(row[0].code) for row in rows)
    cash = sum(row[1] for row in rows if row[0].code == codes.HOME_CASH)
    assert cash == operations + pooled + elders - fees  # what the platform sends, less the fees
    home_part = sum(row[1] for row in rows if row[0].home_id is not None)
    assert home_part == -sum(row[1] for row in rows if row[0].home_id is None)
    db.session.rollback()
