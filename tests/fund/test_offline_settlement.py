"""Offline sales as they really flow: the home holds the money and owes the platform its fee;
the monthly settlement leaves each side's balances at what it actually holds."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from market import clock, hooks
from market.fund import month_settlements as months
from market.fund.service import FundError, FundForbidden
from market.ledger import accounts as codes
from market.ledger import offline
from market.ledger import service as ledger
from market.ledger.verify import verify_ledger
from models import MonthSettlement, db, utcnow
from models.ledger import JournalEntry
from models.payments import Payment
from tests.conftest import login, post_form
from tests.factories import order_rows, refund_rows

pytestmark = pytest.mark.usefixtures("english")


def last_month_day():
    first = clock.local_today().replace(day=1)
    return first - timedelta(days=10)


def sale(make, home, lines=((10000, 2000, 500, 1000, "produce"),), *, offline_paid=True, when=None):
    order = order_rows(make, home=home, lines=lines)
    order.paid_at = when or (utcnow().replace(day=1) - timedelta(days=10))
    if offline_paid:
        db.session.add(Payment(order_id=order.id, provider="offline", amount_fen=order.total_fen,
                               status="succeeded"))
        db.session.flush()
    hooks.order_paid.send(order)
    db.session.commit()
    return order


def test_offline_sale_the_home_holds_the_money_and_owes_the_fee(make):
    home = make.home()
    sale(make, home)  # ¥100: care 20%, elder 5%, fee 10%
    balances = ledger.home_balances(home.id)
    assert balances[codes.HOME_CASH] == 10000
    assert balances[codes.FEES_PAYABLE] == 1000
    assert balances[codes.CARE_PENDING] == 2000 and balances[codes.HOME_OPERATIONS] == 6500
    platform = ledger.platform_balances()
    assert platform[codes.PAYMENTS_CLEARING] == 0  # the platform holds none of it
    assert platform[codes.FEES_RECEIVABLE] == 1000 and platform[codes.FEE_REVENUE] == 1000
    held = months.holdings(home.id)
    assert (held.home_holds, held.platform_holds, held.fees_owed) == (10000, 0, 1000)
    assert verify_ledger().ok


def test_settlement_leaves_each_side_holding_what_it_actually_holds(make):
    home = make.home()
    admin = make.user(is_admin=True)
    offline_order = sale(make, home)  # the home took ¥100 in cash; owes ¥10 fee
    sale(make, home, lines=((5000, 2000, 0, 1000, "produce"),), offline_paid=False)  # ¥50 online
    # Online: care 10.00, fee 5.00, operations 35.00 owed by the platform to the home.
    month = last_month_day().strftime("%Y-%m")
    figures = offline.month_figures(home.id, month)
    assert figures == {"fees": 1000, "operations": 3500, "incentive": 0, "pooled": 0, "elders": 0,
                       "net": -2500}
    settlement, created = months.record_month_settlement(
        home.id, admin, month=month, method="transfer", paid_by="Platform office",
        paid_on=clock.local_today())
    assert created and settlement.net_fen == -2500
    balances = ledger.home_balances(home.id)
    # The home: ¥100 cash from the buyer + ¥25 the platform sent = ¥125 in its hands, owes nothing.
    assert balances[codes.HOME_CASH] == 12500 and balances[codes.FEES_PAYABLE] == 0
    platform = ledger.platform_balances()
    # The platform: ¥50 from the online buyer - ¥25 sent = ¥25 = its two fees (10 + 5) + the
    # online care fund (10) it still holds for the home.
    assert platform[codes.PAYMENTS_CLEARING] == 2500 and platform[codes.FEES_RECEIVABLE] == 0
    assert platform[codes.FEE_REVENUE] == 1500
    held = months.holdings(home.id)
    assert held.platform_holds == 1000 and held.home_holds == 12500 and held.fees_owed == 0
    # Idempotent per home and month: the same record, nothing posted twice.
    count = db.session.scalar(select(db.func.count(JournalEntry.id)))
    again, created = months.record_month_settlement(
        home.id, admin, month=month, method="cash", paid_by="Someone", paid_on=clock.local_today())
    assert not created and again.id == settlement.id
    assert db.session.scalar(select(db.func.count(JournalEntry.id))) == count
    assert verify_ledger().ok
    assert offline_order.id


def test_home_pays_the_platform_when_it_owes_more(make):
    home = make.home()
    admin = make.user(is_admin=True)
    sale(make, home)
    month = last_month_day().strftime("%Y-%m")
    settlement, _ = months.record_month_settlement(
        home.id, admin, month=month, method="cash", paid_by="Wang Fang", paid_on=clock.local_today())
    assert settlement.net_fen == 1000
    assert ledger.home_balances(home.id)[codes.HOME_CASH] == 9000  # ¥100 taken, ¥10 handed over
    assert ledger.platform_balances()[codes.PAYMENTS_CLEARING] == 1000
    assert verify_ledger().ok


def test_offline_refund_comes_out_of_the_homes_cash_and_gives_the_fee_back(make):
    home = make.home()
    order = sale(make, home)
    refund = refund_rows(order, {order.lines[0].id: 4000})
    hooks.refund_settled.send(refund)
    db.session.commit()
    balances = ledger.home_balances(home.id)
    assert balances[codes.HOME_CASH] == 6000
    assert balances[codes.FEES_PAYABLE] == 600
    assert ledger.platform_balances()[codes.FEES_RECEIVABLE] == 600
    assert ledger.platform_balances()[codes.PAYMENTS_CLEARING] == 0
    assert verify_ledger().ok


@pytest.mark.parametrize("fields, message", [
    ({"month": "2026-13"}, "year and month"),
    ({"month": "next"}, "year and month"),
    ({"month": "NOW"}, "only after it has ended"),
    ({"method": "cheque"}, "cash or transfer"),
    ({"paid_by": "   "}, "name of the person"),
    ({"paid_on": date(1999, 1, 1)}, "2000"),
])
def test_bad_input_is_refused_and_nothing_is_written(make, fields, message):
    home = make.home()
    admin = make.user(is_admin=True)
    sale(make, home)
    data = {"month": last_month_day().strftime("%Y-%m"), "method": "cash", "paid_by": "Wang",
            "paid_on": clock.local_today()}
    data.update(fields)
    if data["month"] == "NOW":
        data["month"] = clock.local_today().strftime("%Y-%m")
    before = db.session.scalar(select(db.func.count(JournalEntry.id)))
    with pytest.raises(FundError, match=message):
        months.record_month_settlement(home.id, admin, **data)
    assert db.session.scalar(select(db.func.count(MonthSettlement.id))) == 0
    assert db.session.scalar(select(db.func.count(JournalEntry.id))) == before


def test_only_an_administrator_records_and_an_empty_month_is_refused(make):
    home = make.home()
    staff = make.member(home, "supervisor")
    admin = make.user(is_admin=True)
    month = last_month_day().strftime("%Y-%m")
    with pytest.raises(FundForbidden):
        months.record_month_settlement(home.id, staff, month=month, method="cash", paid_by="x",
                                       paid_on=clock.local_today())
    with pytest.raises(FundError, match="nothing to settle"):
        months.record_month_settlement(home.id, admin, month=month, method="cash", paid_by="x",
                                       paid_on=clock.local_today())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fees=st.integers(-10**8, 10**8), operations=st.integers(0, 10**8), incentive=st.integers(0, 10**8))
def test_settlement_arithmetic(make, fees, operations, incentive):
    """The settlement entry balances; it clears the fee pair and what the platform owed; the
    cash that moves is exactly the difference, in the direction of the debt."""
    home = make.home()
    rows = offline.month_settlement_postings(home.id, fees, operations, incentive)
    assert sum(amount for _a, amount in rows) == 0
    by = {(acct.home_id, acct.code): amount for acct, amount in rows}
    net = fees - operations - incentive
    assert by.get((home.id, codes.FEES_PAYABLE), 0) == fees  # the home's debt goes to zero
    assert by.get((None, codes.FEES_RECEIVABLE), 0) == -fees
    assert -by.get((home.id, codes.SETTLEMENTS_PAID), 0) == operations + incentive
    assert -by.get((home.id, codes.HOME_CASH), 0) == net  # net > 0: the home's cash goes out
    assert by.get((None, codes.PAYMENTS_CLEARING), 0) == net
    # Each side's own part balances as well: the home's and the platform's books each add up.
    home_part = sum(a for acct, a in rows if acct.home_id is not None)
    assert home_part == -sum(a for acct, a in rows if acct.home_id is None)
    db.session.rollback()


# ---- the pages --------------------------------------------------------------------------------

def test_public_page_says_who_holds_what(client, make):
    home = make.home()
    sale(make, home)
    page = client.get(f"/fund/{home.slug}").get_data(as_text=True)
    assert "Who holds the money" in page
    assert "The home holds CN¥100.00 itself" in page
    assert "The platform holds CN¥0.00 of this home's money from online sales" in page
    assert "The home owes the platform CN¥10.00 in fees for" in page


def test_administrator_settles_a_month_on_the_page(client, make):
    home = make.home()
    admin = make.user(is_admin=True)
    sale(make, home)
    month = last_month_day().strftime("%Y-%m")
    login(client, admin)
    url = f"/manage/{home.slug}/fund/months/settle"
    form = client.get(f"{url}?month={month}").get_data(as_text=True)
    assert "The home pays the platform CN¥10.00." in form
    response = post_form(client, url, {"month": month, "method": "cash", "paid_by": "Wang Fang",
                                       "paid_on": clock.local_today().isoformat()})
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    settlement = db.session.scalar(select(MonthSettlement))
    assert settlement.net_fen == 1000 and settlement.paid_by == "Wang Fang"
    page = client.get(f"/manage/{home.slug}/fund/months/").get_data(as_text=True)
    assert "The home paid the platform CN¥10.00" in page and "Wang Fang" in page
    public = client.get(f"/fund/{home.slug}").get_data(as_text=True)
    assert "The home holds CN¥90.00 itself" in public and "is settled" in public
    # A bad month on the page: a message, 400, nothing written.
    response = post_form(client, url, {"month": "2026-13", "method": "cash", "paid_by": "Wang",
                                       "paid_on": clock.local_today().isoformat()})
    assert response.status_code == 400 and "year and month" in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(MonthSettlement.id))) == 1


def test_staff_see_their_homes_figures_only_and_cannot_settle(client, make):
    home, other = make.home(), make.home()
    staff = make.member(home, "supervisor")
    sale(make, other)
    login(client, staff)
    assert client.get(f"/manage/{home.slug}/fund/months/").status_code == 200
    assert client.get(f"/manage/{other.slug}/fund/months/").status_code == 404
    assert client.get(f"/manage/{other.slug}/fund/months/settle").status_code == 404
    assert client.get(f"/manage/{home.slug}/fund/months/settle").status_code == 403


def test_staff_record_the_cash_handed_back_and_the_buyer_reads_it(client, make):
    from models import Order, Refund
    from tests.factories import add_on_page, cancel, check_out_on_page, mark_paid

    home = make.home()
    listing = make.listing(home, "produce", price_fen=5000, stock=5)
    staff, other_staff = make.member(home), make.member(make.home())
    add_on_page(client, listing, quantity="1")
    check_out_on_page(client)
    order = mark_paid(db.session.scalar(select(Order)), staff)
    assert ledger.home_balances(home.id)[codes.HOME_CASH] == order.total_fen
    cancel(order, actor=staff, by_staff=True)
    assert ledger.home_balances(home.id)[codes.HOME_CASH] == 0  # the cash goes back out
    refund = db.session.scalar(select(Refund))
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "The home gives this money back to you in cash or by transfer to you, by " in page
    staff_client = client.application.test_client()
    staff_client.set_cookie("lang", "en")
    login(staff_client, other_staff)  # another home's staff: not found
    url = f"/manage/{home.slug}/orders/{order.reference}/refunds/{refund.id}/handed-back"
    assert staff_client.get(f"/manage/{home.slug}/orders/{order.reference}").status_code == 404
    response = post_form(staff_client, url, {"how": "cash"}, form_url="/account/password")
    assert response.status_code == 404
    assert db.session.get(Refund, refund.id).handed_back_at is None
    staff_client = client.application.test_client()
    staff_client.set_cookie("lang", "en")
    login(staff_client, staff)
    detail = f"/manage/{home.slug}/orders/{order.reference}"
    assert "Money to hand back" in staff_client.get(detail).get_data(as_text=True)
    response = post_form(staff_client, url, {"how": "bogus"}, form_url=detail)
    assert response.status_code == 409
    response = post_form(staff_client, url, {"how": "cash"}, form_url=detail)
    assert response.status_code == 302
    db.session.expire_all()
    refund = db.session.get(Refund, refund.id)
    assert refund.handed_back_by_id == staff.id and refund.handed_back_how == "cash"
    assert refund.handed_back_at is not None
    again = post_form(staff_client, url, {"how": "cash"}, form_url=detail)
    assert again.status_code == 409 and "already" in again.get_data(as_text=True)
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "The home handed this money back to you in cash on " in page
    assert verify_ledger().ok


def test_a_settlement_by_hand_cannot_pay_out_money_the_home_already_holds(make):
    from market.fund import settlements

    home = make.home()
    admin = make.user(is_admin=True)
    sale(make, home)  # offline: ¥65 operations share, all of it in the home's cash
    assert ledger.home_balances(home.id)[codes.HOME_OPERATIONS] == 6500
    with pytest.raises(FundError, match="already with the home"):
        settlements.record_settlement(home.id, admin, account_code="home_operations", amount_fen=100,
                                      paid_on=clock.local_today())
    sale(make, home, lines=((5000, 2000, 0, 1000, "produce"),), offline_paid=False)  # ¥35 via the platform
    settlements.record_settlement(home.id, admin, account_code="home_operations", amount_fen=3500,
                                  paid_on=clock.local_today())
    assert months.holdings(home.id).platform_holds == 1000  # the online care share is left
    assert verify_ledger().ok
