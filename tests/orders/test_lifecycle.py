"""Order lifecycle: offline payment, fulfilment, cancellation policy, refunds, expiry, hooks."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from market import hooks, mail
from market.orders import cart as carts
from market.orders import errors as order_errors
from market.orders import fulfilment, lifecycle
from models import Listing, Order, OrderEvent, Payment, Refund, RoomNight, TourSession, db
from tests.conftest import login, post_form
from tests.factories import (
    buy,
    check_out,
    end_hold,
    expire,
    mark_paid_on_page,
    pay_offline,
    ship,
    staff_url,
    stay_dates,
)


@pytest.fixture
def received():
    """Counts of the hooks the ledger listens to."""
    seen = {"order_paid": [], "refund_settled": [], "order_fulfilled": []}

    def paid(order, **extra):
        seen["order_paid"].append(order.id)

    def settled(refund, **extra):
        seen["refund_settled"].append(refund.id)

    def fulfilled(order, **extra):
        seen["order_fulfilled"].append(order.id)

    hooks.order_paid.connect(paid)
    hooks.refund_settled.connect(settled)
    hooks.order_fulfilled.connect(fulfilled)
    yield seen
    hooks.order_paid.disconnect(paid)
    hooks.refund_settled.disconnect(settled)
    hooks.order_fulfilled.disconnect(fulfilled)


def test_staff_mark_offline_order_paid_records_who_when_how_much(client, make, received):
    home = make.home()
    staff = make.member(home)
    rice = make.listing(home, "produce", price_fen=3000, stock=10)
    [order] = buy("s:a", listing_id=rice.id, quantity="2")
    login(client, staff)

    wrong = mark_paid_on_page(client, order, "59.00")
    assert wrong.status_code == 400
    assert db.session.scalar(select(func.count(Payment.id))) == 0
    assert db.session.get(Order, order.id).status == "pending_payment"

    right = mark_paid_on_page(client, order, "60.00", method="transfer")
    assert right.status_code == 302
    order = db.session.get(Order, order.id)
    payment = db.session.scalar(select(Payment))
    assert order.status == "paid" and order.paid_at is not None and order.hold_expires_at is None
    assert (payment.recorded_by_id, payment.method, payment.amount_fen, payment.provider) == (
        staff.id, "transfer", 6000, "offline")
    assert payment.confirmed_at is not None
    assert [e.to_status for e in order.events] == ["pending_payment", "paid"]
    assert order.events[-1].actor_id == staff.id
    assert received["order_paid"] == [order.id]
    rice = db.session.get(Listing, rice.id)
    assert (rice.stock, rice.reserved) == (8, 0)  # the hold became a sale

    again = mark_paid_on_page(client, order, "60.00")
    assert again.status_code == 409
    assert received["order_paid"] == [order.id]
    assert db.session.scalar(select(func.count(Payment.id))) == 1


def test_illegal_transitions_are_refused(app, make):
    listing = make.listing(make.home(), "tour")
    tour_session = make.session(listing)
    [order] = buy("s:b", listing_id=listing.id, session_id=tour_session.id, quantity="1")
    with pytest.raises(order_errors.OrderError):
        lifecycle.apply_transition(order, "fulfilled")
    with pytest.raises(order_errors.OrderError):
        fulfilment.mark_done(order, order.lines[0].id, actor=None)
    db.session.rollback()
    lifecycle.cancel_order(order)
    with pytest.raises(order_errors.OrderError):
        lifecycle.cancel_order(order)
    with pytest.raises(order_errors.OrderError):
        lifecycle.apply_transition(order, "pending_payment")
    db.session.rollback()
    assert [e.to_status for e in db.session.get(Order, order.id).events] == ["pending_payment", "cancelled"]


def test_customer_cancels_unpaid_order_and_everything_is_released(client, make):
    user = make.user()
    home = make.home()
    listing = make.listing(home, "homestay")
    room = make.room(listing)
    arrive, leave = stay_dates(nights=2)
    carts.add_to_cart(f"u:{user.id}", listing.id, room_id=room.id, check_in=arrive.isoformat(),
                        check_out=leave.isoformat(), guests="1")
    [order] = check_out(f"u:{user.id}", user_id=user.id)
    assert db.session.scalar(select(func.count(RoomNight.id))) == 2
    login(client, user)
    unticked = post_form(client, f"/orders/{order.reference}/cancel", {"reason": "plans changed"},
                         form_url=f"/orders/{order.reference}")
    assert unticked.status_code == 400  # the box must be ticked: one tap cancels nothing
    assert db.session.get(Order, order.id).status == "pending_payment"
    response = post_form(client, f"/orders/{order.reference}/cancel",
                         {"reason": "plans changed", "confirm": "y"}, form_url=f"/orders/{order.reference}")
    assert response.status_code == 302
    order = db.session.get(Order, order.id)
    assert order.status == "cancelled"
    assert db.session.scalar(select(func.count(RoomNight.id))) == 0
    assert not any(line.holds_inventory for line in order.lines)


def test_paid_tour_cancelled_in_time_is_refunded_in_full(app, make, received):
    listing = make.listing(make.home(), "tour", price_fen=5000)
    tour_session = make.session(listing, days=5)
    [order] = buy("s:c", listing_id=listing.id, session_id=tour_session.id, quantity="2")
    pay_offline(order)
    lifecycle.cancel_order(order, reason="ill")
    order = db.session.get(Order, order.id)
    assert order.status == "refunded"
    refund = db.session.scalar(select(Refund))
    assert refund.status == "succeeded" and refund.amount_fen == 10000
    assert json.loads(refund.lines_json) == {str(order.lines[0].id): 10000}
    assert order.lines[0].refunded_fen == 10000
    assert received["refund_settled"] == [refund.id]
    assert db.session.get(TourSession, tour_session.id).reserved == 0
    assert [e.to_status for e in order.events] == ["pending_payment", "paid", "cancelled", "refunded"]


def test_cancellation_policy_per_kind(app, make):
    home = make.home()
    tour = make.listing(home, "tour")
    soon = make.session(tour, days=1)  # within 48 hours
    [tour_order] = buy("s:d", listing_id=tour.id, session_id=soon.id, quantity="1")
    pay_offline(tour_order)
    assert not lifecycle.can_customer_cancel(tour_order)
    with pytest.raises(order_errors.OrderError):
        lifecycle.cancel_order(tour_order)
    db.session.rollback()
    assert db.session.get(Order, tour_order.id).status == "paid"

    relaxed = make.listing(home, "tour", cancel_hours=12)  # per-listing override
    relaxed_session = make.session(relaxed, days=1)
    [relaxed_order] = buy("s:e", listing_id=relaxed.id, session_id=relaxed_session.id, quantity="1")
    pay_offline(relaxed_order)
    assert lifecycle.can_customer_cancel(relaxed_order)

    stay = make.listing(home, "homestay")
    room = make.room(stay)
    check_in, check_out = stay_dates(days_ahead=2, nights=1)  # within 72 hours
    [stay_order] = buy("s:f", listing_id=stay.id, room_id=room.id, check_in=check_in.isoformat(),
                       check_out=check_out.isoformat(), guests="1")
    pay_offline(stay_order)
    assert not lifecycle.can_customer_cancel(stay_order)

    goods = make.listing(home, "craft", stock=3)
    [goods_order] = buy("s:g", listing_id=goods.id, quantity="1")
    pay_offline(goods_order)
    assert lifecycle.can_customer_cancel(goods_order)
    ship(goods_order, "EMS", "E123")
    assert not lifecycle.can_customer_cancel(goods_order)
    with pytest.raises(order_errors.OrderError):
        lifecycle.cancel_order(goods_order)


def test_staff_cancel_needs_a_reason_and_always_refunds_in_full(client, make, received):
    home = make.home()
    staff = make.member(home)
    tour = make.listing(home, "tour", price_fen=4000)
    soon = make.session(tour, days=1)
    [order] = buy("s:h", listing_id=tour.id, session_id=soon.id, quantity="3")
    pay_offline(order)
    login(client, staff)
    no_reason = post_form(client, staff_url(order, "/cancel"), {"reason": ""}, form_url=staff_url(order))
    assert no_reason.status_code == 400
    assert db.session.get(Order, order.id).status == "paid"
    response = post_form(client, staff_url(order, "/cancel"), {"reason": "暴雨 heavy rain"},
                         form_url=staff_url(order))
    assert response.status_code == 302
    order = db.session.get(Order, order.id)
    assert order.status == "refunded"
    assert sum(line.refunded_fen for line in order.lines) == 12000
    assert len(received["refund_settled"]) == 1
    cancel_event = [e for e in order.events if e.to_status == "cancelled"][0]
    assert cancel_event.actor_id == staff.id and "heavy rain" in cancel_event.reason


def test_shipping_needs_carrier_and_tracking_and_sends_bilingual_mail(client, make, received):
    home = make.home()
    staff = make.member(home)
    rice = make.listing(home, "produce", stock=5)
    [order] = buy("s:i", listing_id=rice.id, quantity="1")
    pay_offline(order)
    login(client, staff)
    mail.outbox.clear()
    missing = post_form(client, staff_url(order, "/ship"), {"carrier": "", "tracking_number": ""},
                        form_url=staff_url(order))
    assert missing.status_code == 400
    assert db.session.get(Order, order.id).status == "paid"
    done = post_form(client, staff_url(order, "/ship"), {"carrier": "顺丰", "tracking_number": "SF100"},
                     form_url=staff_url(order))
    assert done.status_code == 302
    order = db.session.get(Order, order.id)
    [line] = order.lines
    assert (order.status, line.carrier, line.tracking_number) == ("fulfilled", "顺丰", "SF100")
    assert line.fulfilled_by_id == staff.id and line.fulfilled_at is not None
    assert received["order_fulfilled"] == [order.id]
    [message] = mail.outbox
    body = message.get_content()
    assert "SF100" in body and "Tracking number" in body and "----------" in body
    assert message["To"] == "li@example.com"


def test_expired_holds_are_released_by_the_command_and_the_next_checkout(app, make, english):
    home = make.home()
    tour = make.listing(home, "tour")
    tour_session = make.session(tour, capacity=4)
    [order] = buy("s:j", listing_id=tour.id, session_id=tour_session.id, quantity="4")
    assert order.hold_expires_at - order.created_at == timedelta(hours=48)  # offline hold
    end_hold(order)
    result = app.test_cli_runner().invoke(args=["orders", "expire"])
    assert "expired 1" in result.output
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "expired"
    assert db.session.get(TourSession, tour_session.id).reserved == 0

    [second] = buy("s:k", listing_id=tour.id, session_id=tour_session.id, quantity="4")
    end_hold(second)
    client = app.test_client()
    client.set_cookie("lang", "en")
    page = client.get(f"/listings/{tour.slug}")
    assert page.status_code == 200 and "4 seats left" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Order, second.id).status == "pending_payment"  # the page only read
    assert db.session.get(TourSession, tour_session.id).reserved == 4
    # The next buyer's checkout releases the ended hold before it reserves.
    [third] = buy("s:o", listing_id=tour.id, session_id=tour_session.id, quantity="4")
    db.session.expire_all()
    assert db.session.get(Order, second.id).status == "expired"
    assert third.status == "pending_payment"
    assert db.session.get(TourSession, tour_session.id).reserved == 4


def test_late_payment_rereserves_or_refunds(app, make, received):
    from market.payments.service import apply_record_payment

    tour = make.listing(make.home(), "tour")
    tour_session = make.session(tour, capacity=2)
    [late] = buy("s:l", listing_id=tour.id, session_id=tour_session.id, quantity="2")
    expire(late)
    apply_record_payment(late, "offline", late.total_fen, late.currency, "cash")
    db.session.commit()
    assert late.status == "paid" and db.session.get(TourSession, tour_session.id).reserved == 2

    other = make.session(tour, capacity=1)
    [lost] = buy("s:m", listing_id=tour.id, session_id=other.id, quantity="1")
    expire(lost)
    buy("s:n", listing_id=tour.id, session_id=other.id, quantity="1")
    apply_record_payment(lost, "offline", lost.total_fen, lost.currency, "cash")
    db.session.commit()
    assert lost.status == "refunded" and lost.flag
    assert [e.to_status for e in lost.events][-3:] == ["paid", "cancelled", "refunded"]
    # Money in and money out both reach the books: one sale, one reversing refund.
    assert received["order_paid"] == [late.id, lost.id]
    assert len(received["refund_settled"]) == 1
    assert db.session.get(TourSession, other.id).reserved == 1


def test_wrong_amount_from_a_provider_flags_instead_of_paying(app, make, received):
    from market.payments.service import apply_record_payment

    listing = make.listing(make.home(), "craft", made_to_order=True, stock=None, lead_days=10)
    [order] = buy("s:o", listing_id=listing.id, quantity="2")
    apply_record_payment(order, "offline", order.total_fen - 1, order.currency, "cash")
    db.session.commit()
    assert order.status == "pending_payment" and "does not match" in order.flag
    assert received["order_paid"] == []


def test_partial_refund_then_rest(app, make, received):
    from market.payments.service import PaymentError, apply_request_refund

    home = make.home()
    a = make.listing(home, "produce", price_fen=1000, stock=5)
    [order] = buy("s:p", listing_id=a.id, quantity="3")
    pay_offline(order)
    line = order.lines[0]
    apply_request_refund(order, {line.id: 1000}, "one bag broken")
    db.session.commit()
    assert order.status == "partially_refunded" and line.refunded_fen == 1000
    with pytest.raises(PaymentError):
        apply_request_refund(order, {line.id: 2001}, "too much")
    db.session.rollback()
    apply_request_refund(order, {line.id: 2000}, "rest")
    db.session.commit()
    assert order.status == "refunded" and line.refunded_fen == 3000
    assert len(received["refund_settled"]) == 2
    assert db.session.scalar(select(func.count(OrderEvent.id)).where(OrderEvent.order_id == order.id)) == 4


def test_the_offline_provider_confirms_who_when_how_and_how_much(app, make, received):
    from market.payments.providers import get_provider
    from market.payments.service import PaymentError

    home = make.home()
    staff = make.member(home)
    rice = make.listing(home, "produce", price_fen=3000, stock=10)
    [order] = buy("s:confirm", listing_id=rice.id, quantity="2")
    offline = get_provider("offline")
    with pytest.raises(PaymentError):
        offline.confirm(order, actor=staff, method="cash", amount_fen=5999)
    with pytest.raises(PaymentError):
        offline.confirm(order, actor=staff, method="cheque", amount_fen=6000)
    payment = offline.confirm(order, actor=staff, method="transfer", amount_fen=6000)
    db.session.commit()
    assert (payment.provider, payment.method, payment.amount_fen) == ("offline", "transfer", 6000)
    assert payment.recorded_by_id == staff.id and payment.confirmed_at is not None
    assert order.status == "paid" and received["order_paid"] == [order.id]


def test_marking_paid_goes_through_the_offline_provider(app, make, monkeypatch):
    from market.payments.offline import OfflineProvider

    home = make.home()
    staff = make.member(home)
    rice = make.listing(home, "produce", price_fen=3000, stock=10)
    [order] = buy("s:through", listing_id=rice.id, quantity="1")
    calls = []
    real = OfflineProvider.confirm

    def spy(self, found, **details):
        calls.append(details)
        return real(self, found, **details)

    monkeypatch.setattr(OfflineProvider, "confirm", spy)
    lifecycle.mark_paid_offline(order, actor=staff, method="cash", amount_text="30.00")
    assert calls == [{"actor": staff, "method": "cash", "amount_fen": 3000, "reason": ""}]
    assert db.session.get(Order, order.id).status == "paid"
