# ruff: noqa: F405
"""A paid order never ends cancelled or expired with the money kept (`pytest -k race`).

The webhook that confirms a payment and a worker that cancels or expires the same order may
run at the same moment. Whatever the interleaving, the order ends either paid (places held) or
cancelled/expired with the whole payment being refunded (places released). On PostgreSQL the
threads really overlap (READ COMMITTED); on SQLite BEGIN IMMEDIATE serialises them. The
"stale copy" test replays the dangerous interleaving deterministically on both databases: the
worker holds the order as it first read it while the webhook commits.
"""

import threading

import pytest
from sqlalchemy import func, select

from market.orders import lifecycle
from models import Order, Payment, Refund, TourSession, db, utcnow
from tests.factories import paid_at_stripe
from tests.payments.stripe_fixtures import *  # noqa: F403 - fixtures fake, tour and helpers

pytestmark = pytest.mark.usefixtures("english")


def _assert_money_and_places_agree(order_id: int, tour_id: int, seats: int):
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    paid = db.session.scalar(select(func.count(Payment.id)).where(
        Payment.order_id == order_id, Payment.status == "succeeded"))
    refunded = db.session.scalar(select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
        Refund.order_id == order_id, Refund.status.in_(("pending", "succeeded")))) or 0
    reserved = db.session.get(TourSession, tour_id).reserved
    assert paid == 1, "the buyer paid once"
    if order.status in ("cancelled", "expired", "refunded"):
        assert refunded == order.total_fen, f"{order.status} order keeps the money"
        assert reserved == 0
    else:
        assert order.status == "paid" and refunded == 0
        assert reserved == seats


def _deliver_in_own_context(app, evt):
    with app.app_context():
        status, _note = deliver(evt)
        db.session.remove()
    assert status == 200


# ---- the same interleaving, made deterministic (both databases) -------------------------------


@pytest.fixture
def stale_copies():
    """Objects keep what they were read as across commits, as inside one long transaction."""
    session = db.session()
    session.expire_on_commit = False
    yield
    session.expire_on_commit = True


def test_race_cancel_from_a_stale_copy_refunds_the_payment(app, fake, tour, stale_copies):
    order, paid = paid_at_stripe(fake, tour)
    order = db.session.get(Order, order.id)
    assert order.status == "pending_payment" and order.lines
    db.session.commit()
    _deliver_in_own_context(app, paid)  # the webhook commits "paid" meanwhile
    lifecycle.cancel_order(order, reason="plans changed")
    _assert_money_and_places_agree(order.id, tour.id, 2)
    assert reload(order).status == "cancelled"
    [refund] = db.session.query(Refund).filter_by(order_id=order.id).all()
    assert refund.initiated_by == "customer" and refund.provider_ref  # sent to Stripe


# ---- real threads (they overlap on PostgreSQL) ------------------------------------------------


def _race(app, monkeypatch, name: str, worker_job, evt):
    """`worker_job` runs in a thread and pauses at its first call of lifecycle.<name>; the webhook
    is delivered in another thread meanwhile; the worker goes on when the webhook is done (or
    after 3 s if it waits for the worker's lock)."""
    paused, go = threading.Event(), threading.Event()
    real = getattr(lifecycle, name)
    errors = []

    def pausing(*args, **kwargs):
        if not paused.is_set():
            paused.set()
            go.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(lifecycle, name, pausing)

    def run(job):
        def target():
            with app.app_context():
                try:
                    job()
                except Exception as exc:  # noqa: BLE001 - reported by the test
                    errors.append(repr(exc))
                finally:
                    db.session.remove()
        return threading.Thread(target=target)

    db.session.commit()
    worker, webhook = run(worker_job), run(lambda: deliver(evt))
    worker.start()
    assert paused.wait(30)
    webhook.start()
    webhook.join(3)
    go.set()
    worker.join(60)
    webhook.join(60)
    assert not errors, errors


def test_race_staff_cancel_against_the_paid_webhook(app, fake, tour, monkeypatch):
    order, paid = paid_at_stripe(fake, tour)
    order_id = order.id

    def cancel():
        lifecycle.cancel_order(db.session.get(Order, order_id), by_staff=True, reason="heavy rain")

    _race(app, monkeypatch, "apply_release", cancel, paid)
    _assert_money_and_places_agree(order_id, tour.id, 2)


def test_race_expiry_against_the_paid_webhook(app, fake, tour, monkeypatch):
    order, paid = paid_at_stripe(fake, tour)
    order_id = order.id
    order.hold_expires_at = utcnow()
    db.session.commit()
    _race(app, monkeypatch, "apply_expire", lambda: lifecycle.expire_due(utcnow()), paid)
    _assert_money_and_places_agree(order_id, tour.id, 2)
