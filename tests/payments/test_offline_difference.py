"""An offline payment at another amount than the order's total (market/payments/offline.py,
docs/payments.md "Offline payments at another amount"): less is a discount the home granted (the
lines scaled down, the sale split on what arrived), more is a gift to the care fund; a reason is
required, and bad amounts change nothing."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from market.ledger import accounts as codes
from market.ledger.allocation import AllocationError, scale_to, split_line
from market.ledger.verify import verify_ledger
from market.orders import lifecycle
from market.orders.errors import OrderError, OrderStateError
from models import Account, JournalEntry, Order, Payment, PaymentDifference, Posting, db
from tests.conftest import login
from tests.factories import buy, mark_paid_on_page, order_of, staff_url

# ---- the rule, on its own -------------------------------------------------------------------

amounts = st.dictionaries(st.integers(1, 50), st.integers(0, 10**7), min_size=1, max_size=6)


@given(amounts, st.data())
def test_scaling_lines_down_keeps_each_near_its_share_and_sums_to_what_arrived(lines, data):
    whole = sum(lines.values())
    received = data.draw(st.integers(0, whole))
    scaled = scale_to(lines, received)
    assert sum(scaled.values()) == received
    for key, amount in lines.items():
        assert 0 <= scaled[key] <= amount  # a line never gains, never goes negative
        assert abs(scaled[key] - Fraction(amount * received, whole or 1)) < 1
    # Split as the sale entry does: each line's shares sum to its scaled amount, so the entry
    # (clearing debited `received`) balances whatever the rates.
    for rates in ((2000, 500, 300), (0, 0, 0), (3333, 1, 6666)):
        assert sum(sum(split_line(scaled[k], *rates).values()) for k in scaled) == received


def test_scaling_refuses_more_than_the_lines_hold():
    with pytest.raises(AllocationError):
        scale_to({1: 100, 2: 50}, 151)
    with pytest.raises(AllocationError):
        scale_to({1: 100}, -1)


# ---- through the service ------------------------------------------------------------------

def _setup(make):
    home = make.home()
    staff = make.member(home)
    elder = make.elder(home, incentive_bps=500)
    rice = make.listing(home, "produce", price_fen=3333, stock=50, elder_id=elder.id)
    tea = make.listing(home, "produce", price_fen=6667, stock=50)
    order = order_of("s:diff", (rice.id, {"quantity": "1"}), (tea.id, {"quantity": "2"}))
    return home, staff, order


def _postings(order_id, kind):
    """(share, amount, line) of an entry's postings, without the offline fee's receivable/payable
    pair (the fee itself is the fee_revenue posting)."""
    return db.session.execute(
        select(Posting.share, Posting.amount, Posting.order_line_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .join(Account, Account.id == Posting.account_id)
        .where(JournalEntry.order_id == order_id, JournalEntry.kind == kind,
               Account.code.not_in((codes.FEES_PAYABLE, codes.FEES_RECEIVABLE)))).all()


def test_less_received_is_a_discount_and_the_sale_splits_what_arrived(app, make, english):
    home, staff, order = _setup(make)
    assert order.total_fen == 16667
    lifecycle.mark_paid_offline(order, actor=staff, method="cash", amount_text="150.00",
                                reason="  discount agreed: the rice bag was torn  ")
    order = db.session.get(Order, order.id)
    assert order.status == "paid" and order.total_fen == 15000
    assert sum(line.amount_fen for line in order.lines) == 15000
    assert sum(line.discount_fen for line in order.lines) == 1667
    assert [line.amount_fen + line.discount_fen for line in order.lines] == [3333, 13334]
    difference = db.session.scalar(select(PaymentDifference))
    assert (difference.kind, difference.amount_fen, difference.expected_fen, difference.received_fen) == \
        ("discount", 1667, 16667, 15000)
    assert difference.reason == "discount agreed: the rice bag was torn"
    assert difference.recorded_by_id == staff.id
    assert db.session.scalar(select(Payment.amount_fen)) == 15000
    postings = _postings(order.id, "sale")
    assert sum(amount for _s, amount, _l in postings) == 0
    assert sum(amount for share, amount, _l in postings if share == codes.SHARE_TOTAL) == 15000
    for line in order.lines:  # each line's shares are the split of what it received
        shares = {share: -amount for share, amount, line_id in postings if line_id == line.id}
        expected = {k: v for k, v in split_line(line.amount_fen, line.care_share_bps, line.incentive_bps,
                                                line.platform_fee_bps).items() if v}
        assert shares == expected
    assert verify_ledger().ok


def test_a_discounted_order_refunds_at_most_what_was_received(app, make, english):
    _home, staff, order = _setup(make)
    lifecycle.mark_paid_offline(order, actor=staff, method="cash", amount_text="150.00", reason="discount")
    order = db.session.get(Order, order.id)
    tea = order.lines[1]
    requests = {tea.id: ("2", "")}  # both packets back: what the line received, not 2 × 66.67
    lifecycle.refund_lines(order, actor=staff, requests=requests, reason="spoilt", token="a" * 32)
    order = db.session.get(Order, order.id)
    assert order.lines[1].refunded_fen == order.lines[1].amount_fen == 12000
    assert verify_ledger().ok


def test_more_received_pays_the_total_and_gives_the_rest_to_the_care_fund(app, make, english):
    home, staff, order = _setup(make)
    lifecycle.mark_paid_offline(order, actor=staff, method="transfer", amount_text="200.00",
                                reason="the buyer said keep the rest for the elders")
    order = db.session.get(Order, order.id)
    assert order.status == "paid" and order.total_fen == 16667
    assert all(line.discount_fen == 0 for line in order.lines)
    assert db.session.scalar(select(Payment.amount_fen)) == 16667
    difference = db.session.scalar(select(PaymentDifference))
    assert (difference.kind, difference.amount_fen, difference.received_fen) == ("extra", 3333, 20000)
    entry = db.session.scalar(select(JournalEntry).where(JournalEntry.source_type == "payment_difference"))
    assert (entry.kind, entry.home_id, entry.order_id, entry.source_id) == ("donation", home.id, order.id,
                                                                            difference.id)
    by_code = {p.account.code: p.amount for p in entry.postings}
    assert by_code == {codes.HOME_CASH: 3333, codes.CARE_AVAILABLE: -3333}
    # The home holds exactly what it was handed.
    sale = _postings(order.id, "sale")
    assert sum(a for s, a, _l in sale if s == codes.SHARE_TOTAL) + 3333 == 20000
    assert verify_ledger().ok


def test_verify_notices_an_extra_without_its_entry(app, make, english):
    _home, staff, order = _setup(make)
    lifecycle.mark_paid_offline(order, actor=staff, method="cash", amount_text="166.67")
    payment = db.session.scalar(select(Payment))
    db.session.add(PaymentDifference(order_id=order.id, payment_id=payment.id, home_id=order.home_id,
                                     kind="extra", amount_fen=5, expected_fen=16667, received_fen=16672,
                                     reason="written behind the books"))
    db.session.commit()
    problems = [str(p) for p in verify_ledger().problems]
    assert any("extra offline payments without their care-fund entry" in p for p in problems)


@pytest.mark.parametrize("amount, reason, message", [
    ("150.00", "", "Please write why"),
    ("150.00", "   ", "Please write why"),
    ("0", "free", "more than zero"),
    ("-5.00", "odd", "Please enter the amount received"),
    ("1666.71", "typo?", "more than ten times"),
    ("150.00", "x" * 501, "under 500 characters"),
])
def test_bad_amounts_change_nothing(app, make, english, amount, reason, message):
    _home, staff, order = _setup(make)
    with pytest.raises(OrderError) as refused:
        lifecycle.mark_paid_offline(order, actor=staff, method="cash", amount_text=amount, reason=reason)
    assert message in str(refused.value)
    order = db.session.get(Order, order.id)
    assert order.status == "pending_payment" and order.total_fen == 16667
    assert [line.amount_fen for line in order.lines] == [3333, 13334]
    assert all(line.discount_fen == 0 for line in order.lines)
    assert db.session.scalar(select(func.count(Payment.id))) == 0
    assert db.session.scalar(select(func.count(PaymentDifference.id))) == 0
    assert db.session.scalar(select(func.count(JournalEntry.id)).where(JournalEntry.kind != "audit")) == 0


def test_ten_times_the_total_is_still_accepted(app, make, english):
    _home, staff, order = _setup(make)
    lifecycle.mark_paid_offline(order, actor=staff, method="cash", amount_text="1666.70", reason="big gift")
    assert db.session.scalar(select(PaymentDifference.amount_fen)) == 166670 - 16667


def test_a_second_confirmation_is_refused_and_changes_nothing(app, make, english):
    _home, staff, order = _setup(make)
    lifecycle.mark_paid_offline(order, actor=staff, method="cash", amount_text="150.00", reason="discount")
    with pytest.raises(OrderStateError):
        lifecycle.mark_paid_offline(db.session.get(Order, order.id), actor=staff, method="cash",
                                    amount_text="140.00", reason="again")
    order = db.session.get(Order, order.id)
    assert order.total_fen == 15000
    assert db.session.scalar(select(func.count(Payment.id))) == 1
    assert db.session.scalar(select(func.count(PaymentDifference.id))) == 1
    assert verify_ledger().ok


# ---- the console's form ---------------------------------------------------------------------

def test_the_console_form_takes_a_reason_and_shows_the_discount(app, make, client, english):
    _home, staff, order = _setup(make)
    login(client, staff)
    refused = mark_paid_on_page(client, order, "150.00")
    assert refused.status_code == 400
    assert "Please write why" in refused.get_data(as_text=True)
    assert db.session.get(Order, order.id).status == "pending_payment"
    from tests.conftest import post_form

    done = post_form(client, staff_url(order, "/mark-paid"),
                     {"method": "cash", "amount": "150.00", "reason": "torn bag"}, form_url=staff_url(order))
    assert done.status_code == 302
    page = client.get(staff_url(order)).get_data(as_text=True)
    assert "a discount of CN¥16.67" in page and "torn bag" in page
    twice = post_form(client, staff_url(order, "/mark-paid"),
                      {"method": "cash", "amount": "150.00", "reason": "torn bag"}, form_url=staff_url(order))
    assert twice.status_code in (400, 409)
    assert db.session.scalar(select(func.count(Payment.id))) == 1


def test_staff_of_another_home_cannot_confirm(app, make, client, english):
    _home, _staff, order = _setup(make)
    stranger = make.member(make.home())
    login(client, stranger)
    from tests.conftest import csrf_from  # noqa: F401 - the page itself is a 404 for them

    assert client.get(staff_url(order)).status_code == 404
    response = client.post(staff_url(order, "/mark-paid"),
                           data={"method": "cash", "amount": "1.00", "reason": "x"})
    assert response.status_code in (400, 404)
    assert db.session.get(Order, order.id).status == "pending_payment"


def test_buy_helper_still_pays_in_full(app, make):
    home = make.home()
    staff = make.member(home)
    rice = make.listing(home, "produce", price_fen=3000, stock=10)
    [order] = buy("s:full", listing_id=rice.id, quantity="1")
    lifecycle.mark_paid_offline(order, actor=staff, method="cash", amount_text="30.00")
    assert db.session.scalar(select(func.count(PaymentDifference.id))) == 0
