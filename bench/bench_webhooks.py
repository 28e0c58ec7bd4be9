"""Stripe webhook processing rate, on SQLite and PostgreSQL, beside bare signature verification.

A stream of 10,000 signed Stripe events (9,000 distinct + 10% duplicate deliveries), shuffled,
goes through `market.payments.webhooks.receive` (verify, store once in the inbox, apply in one
transaction with the order and ledger changes, commit) — the endpoint's code without HTTP.
The orders follow fourteen stories: paid; expired; paid then refunded in the Stripe dashboard;
paid with a stale "expired"; asynchronous success; asynchronous failure; wrong amount (refunded
by the market); paid then cancelled by the buyer, the market's refund settling (refund.updated,
charge.refunded); paid and disputed (open, lost, won); paid after the hold ended with the place
still free (re-reserved) or taken (refunded by the market); paid after the buyer cancelled
(refunded by the market). Objects and events are built at the pinned API version
(tests/stripe_schema.py); what an event makes the market ask Stripe runs after each delivery, as
the server does once the response has gone. The stories that need
something done before their events (a payment confirmed and a refund requested, a hold ended, an
order cancelled) are prepared untimed through the same services. Every order must end in the
state its story's final event implies, whatever the delivery order; every refund the market
owes must have been sent to Stripe; every open or lost dispute must be on its order's flag, a won
one cleared from it; no event may be left waiting.
Prints events/s beside the rate of bare `stripe.WebhookSignature.verify_header` on the same
payloads in the same run. PostgreSQL runs on postgresql:///test in a fresh schema, dropped after.
Nothing reaches the network: the fake Stripe client answers any API call.
"""

import json
import os
import random
import signal
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import stripe

EVENTS = int(os.environ.get("BENCH_EVENTS", "10000"))
DUPLICATE_SHARE = 0.10
SEED = 5
PROGRESS = int(os.environ.get("BENCH_PROGRESS", "0"))
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql:///test")
STORIES = ("paid", "expired", "refunded", "paid_stale_expiry", "async_paid", "async_failed", "mismatch",
           "market_refund", "disputed", "dispute_lost", "dispute_won", "late_seat_free", "late_seat_taken",
           "paid_after_cancel")
EXPECTED = {"paid": "paid", "expired": "expired", "refunded": "refunded", "paid_stale_expiry": "paid",
            "async_paid": "paid", "async_failed": "expired", "mismatch": "pending_payment",
            "market_refund": "refunded", "disputed": "paid", "dispute_lost": "refunded",
            "dispute_won": "paid", "late_seat_free": "paid", "late_seat_taken": "cancelled",
            "paid_after_cancel": "cancelled"}
# Stories whose money the market sends back itself (Stripe must have received that refund).
MARKET_REFUNDS = ("market_refund", "late_seat_taken", "paid_after_cancel", "mismatch")


def _session(order_id: int, payment_id: int, n: int, amount: int) -> dict:
    from tests.stripe_schema import build

    return build("checkout.session", id=f"cs_bench_{n}", mode="payment", status="complete",
                 payment_status="paid", amount_total=amount, currency="cny",
                 client_reference_id=str(order_id), payment_intent=f"pi_bench_{n}",
                 payment_method_types=["card"],
                 metadata={"order_id": str(order_id), "payment_id": str(payment_id)})


def _events_for(story: str, order_id: int, payment_id: int, n: int, amount: int,
                refund: dict | None = None) -> list[dict]:
    """The Stripe events of one order's story (`refund`: the market's refund, as Stripe has it)."""
    from tests.stripe_fake import event
    from tests.stripe_schema import build

    pi, ch, re_ = f"pi_bench_{n}", f"ch_bench_{n}", f"re_bench_{n}"
    session = _session(order_id, payment_id, n, amount)
    unpaid = dict(session, payment_status="unpaid", payment_method_types=["alipay"])
    expired = dict(session, status="expired", payment_status="unpaid", payment_intent=None)
    if story in ("paid", "late_seat_free", "late_seat_taken", "paid_after_cancel"):
        return [event("checkout.session.completed", session)]
    if story == "market_refund":
        settled = dict(refund or {}, status="succeeded")
        charge = build("charge", id=ch, amount=amount, amount_refunded=amount, currency="cny", paid=True,
                       refunded=True, status="succeeded", payment_intent=pi,
                       refunds={"object": "list", "data": [settled]})
        return [event("refund.updated", settled), event("charge.refunded", charge)]
    if story in ("disputed", "dispute_lost", "dispute_won"):
        dispute = build("dispute", id=f"dp_bench_{n}", amount=amount, currency="cny", payment_intent=pi,
                        charge=ch, reason="fraudulent", status="needs_response")
        opened = [event("checkout.session.completed", session), event("charge.dispute.created", dispute)]
        if story == "disputed":
            return opened
        return opened + [event("charge.dispute.closed", dict(dispute, status=story.split("_")[1]))]
    if story == "expired":
        return [event("checkout.session.expired", expired)]
    if story == "refunded":
        refund = build("refund", id=re_, amount=amount, currency="cny", charge=ch, payment_intent=pi,
                       status="succeeded", metadata={})
        charge = build("charge", id=ch, amount=amount, amount_refunded=amount, currency="cny", paid=True,
                       refunded=True, status="succeeded", payment_intent=pi,
                       refunds={"object": "list", "data": [refund]})
        return [event("checkout.session.completed", session), event("charge.refunded", charge)]
    if story == "paid_stale_expiry":
        return [event("checkout.session.completed", session), event("checkout.session.expired", session)]
    if story == "async_paid":
        return [event("checkout.session.completed", unpaid),
                event("checkout.session.async_payment_succeeded", dict(unpaid, payment_status="paid"))]
    if story == "async_failed":
        return [event("checkout.session.completed", unpaid),
                event("checkout.session.async_payment_failed", unpaid)]
    if story == "mismatch":
        return [event("checkout.session.completed", dict(session, amount_total=amount - 1))]
    raise ValueError(story)


def _seed(orders_wanted: int) -> list[tuple[int, int, str, int]]:
    """Bulk-insert two tours and `orders_wanted` pending Stripe orders (those whose seat will be
    taken on the second tour); returns (order, payment, story, n) rows."""
    from sqlalchemy import insert, select

    from models import Home, Listing, Order, OrderEvent, OrderLine, Payment, TourSession, db, utcnow

    now = utcnow()
    home = Home(slug="bench-home", name_zh="基准幸福院", name_en="Bench Home", province_zh="河北省",
                province_en="Hebei", county_zh="肥乡区", county_en="Feixiang", village_zh="村",
                village_en="Village", story_zh="故事", story_en="Story", care_share_bps=2000)
    db.session.add(home)
    db.session.flush()
    listing = Listing(home_id=home.id, kind="tour", slug="bench-tour", status="published",
                      title_zh="讲故事", title_en="Stories", description_zh="描述", description_en="About",
                      price_fen=8800)
    db.session.add(listing)
    db.session.flush()
    rng = random.Random(SEED)
    stories = [STORIES[i % len(STORIES)] for i in range(orders_wanted)]
    rng.shuffle(stories)
    taken = stories.count("late_seat_taken")
    tour, full = (TourSession(listing_id=listing.id, starts_at=now + timedelta(days=30), capacity=seats,
                              reserved=seats, meeting_point_zh="村口", meeting_point_en="Gate")
                  for seats in (orders_wanted - taken, taken))
    db.session.add_all([tour, full])
    db.session.flush()
    hold = now + timedelta(minutes=35)
    db.session.execute(insert(Order), [dict(
        reference=f"B{n:07d}", idempotency_token=f"bench:{n}", status="pending_payment", provider="stripe",
        total_fen=8800, currency="CNY", contact_name="Bench", contact_phone="13800138000", locale="en",
        hold_expires_at=hold, created_at=now) for n in range(orders_wanted)])
    ids = dict(db.session.execute(select(Order.reference, Order.id)).all())
    order_ids = [ids[f"B{n:07d}"] for n in range(orders_wanted)]
    db.session.execute(insert(OrderLine), [dict(
        order_id=oid, home_id=home.id, listing_id=listing.id, kind="tour", title="Stories",
        session_id=(full if stories[n] == "late_seat_taken" else tour).id, quantity=1,
        unit_price_fen=8800, amount_fen=8800, refunded_fen=0,
        care_share_bps=2000, incentive_bps=0, platform_fee_bps=500, holds_inventory=True)
        for n, oid in enumerate(order_ids)])
    db.session.execute(insert(OrderEvent), [dict(
        order_id=oid, from_status=None, to_status="pending_payment", reason="checkout", created_at=now)
        for oid in order_ids])
    db.session.execute(insert(Payment), [dict(
        order_id=oid, provider="stripe", attempt=1, idempotency_key=f"market-checkout-{oid}-1",
        provider_ref=f"cs_bench_{n}", status="pending", amount_fen=8800, currency="CNY", created_at=now)
        for n, oid in enumerate(order_ids)])
    pay_ids = dict(db.session.execute(select(Payment.order_id, Payment.id)).all())
    db.session.commit()
    return [(oid, pay_ids[oid], stories[n], n) for n, oid in enumerate(order_ids)]


def _prepare(rows, fake) -> dict[int, dict]:
    """Untimed, through the services: what happened before each story's events. Returns the
    market's refund (as Stripe holds it) per order of the market_refund story."""
    from sqlalchemy import select, update

    from market.orders import lifecycle
    from market.payments import webhooks
    from models import Order, OrderLine, Refund, TourSession, db
    from tests.stripe_fake import event

    refunds = {}
    for oid, pid, story, n in rows:
        if story in MARKET_REFUNDS:  # Stripe knows the charge, so it can refund it
            fake.add_charge(8800, "cny", {"order_id": str(oid)}, ids=(f"pi_bench_{n}", f"ch_bench_{n}"))
        if story == "market_refund":
            completed = event("checkout.session.completed", _session(oid, pid, n, 8800))
            assert webhooks.process(completed, json.dumps(completed)) == (200, "processed")
            lifecycle.cancel_order(db.session.get(Order, oid), reason="plans changed")
            ref = db.session.query(Refund.provider_ref).filter_by(order_id=oid).scalar()
            refunds[oid] = dict(fake.refunds[ref])
        elif story in ("late_seat_free", "late_seat_taken"):
            lifecycle.apply_expire(db.session.get(Order, oid))
            db.session.commit()
        elif story == "paid_after_cancel":
            lifecycle.cancel_order(db.session.get(Order, oid), reason="changed my mind")
        db.session.remove()
    # Someone else took every seat the late payers of the second tour had held.
    taken = [oid for oid, _pid, story, _n in rows if story == "late_seat_taken"]
    if taken:
        full = db.session.scalar(select(OrderLine.session_id).where(OrderLine.order_id == taken[0]))
        db.session.execute(update(TourSession).where(TourSession.id == full)
                           .values(reserved=TourSession.capacity))
    db.session.commit()
    return refunds


def _run(label: str, config: dict) -> dict:
    from market import create_app
    from market.payments import webhooks
    from models import WebhookEvent, db
    from tests.stripe_fake import SECRET_KEY, WEBHOOK_SECRET, FakeStripe, sign

    fake = FakeStripe(refund_status="pending")
    app = create_app({**config, "TESTING": False, "SERVER_NAME": "localhost",
                      "STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                      "STRIPE_HTTP_CLIENT": fake, "STRIPE_FETCH_FEES": False, "JOBS_IMMEDIATE": True,
                      "STRIPE_MAX_NETWORK_RETRIES": 0, "STRIPE_WEBHOOK_TOLERANCE": 3600})
    import logging

    logging.getLogger("market.payments").setLevel(logging.ERROR)
    with app.app_context():
        db.create_all()
        per_order = sum(len(_events_for(s, 0, 0, 0, 8800)) for s in STORIES) / len(STORIES)
        unique = int(EVENTS * (1 - DUPLICATE_SHARE))
        rows = _seed(int(unique / per_order) + 100)
        judged, count = [], 0
        for oid, pid, story, n in rows:  # whole stories only, up to 9,000 events
            count += len(_events_for(story, oid, pid, n, 8800))
            if count > unique:
                break
            judged.append((oid, pid, story, n))
        started = time.perf_counter()
        refunds = _prepare(judged, fake)
        prepared = time.perf_counter() - started
        stored_before = db.session.query(WebhookEvent).count()  # the preparation's own events
        stream = [evt for oid, pid, story, n in judged
                  for evt in _events_for(story, oid, pid, n, 8800, refunds.get(oid))]
        rng = random.Random(SEED)
        deliveries = []
        for evt in stream:
            payload = json.dumps(evt)
            deliveries.append((payload.encode(), sign(payload, WEBHOOK_SECRET)))
        deliveries += rng.sample(deliveries, EVENTS - len(deliveries))
        rng.shuffle(deliveries)

        started = time.perf_counter()
        for body, header in deliveries:
            stripe.WebhookSignature.verify_header(body, header, WEBHOOK_SECRET, 3600)
        verify_rate = len(deliveries) / (time.perf_counter() - started)

        outcomes: dict[str, int] = {}
        started = time.perf_counter()
        lap = started
        for i, (body, header) in enumerate(deliveries, start=1):
            status, note = webhooks.receive(body, header)  # its calls to Stripe run at commit
            db.session.remove()  # as at the end of each request
            outcomes[f"{status} {note}"] = outcomes.get(f"{status} {note}", 0) + 1
            if PROGRESS and i % PROGRESS == 0:
                now = time.perf_counter()
                print(f"{'':>10}  {i:6d} events, last {PROGRESS} at {PROGRESS / (now - lap):.0f}/s",
                      flush=True)
                lap = now
        elapsed = time.perf_counter() - started
        rate = len(deliveries) / elapsed

        db.session.expire_all()
        wrong = _judge(judged, fake)
        stored = db.session.query(WebhookEvent).count() - stored_before
        waiting = db.session.query(WebhookEvent).filter(WebhookEvent.processed_at.is_(None)).count()
        print(f"{label:>10}: {rate:8.0f} events/s ({len(deliveries)} deliveries, {elapsed:.1f} s) | "
              f"bare signature verification {verify_rate:8.0f}/s | ratio {rate / verify_rate:.3f}")
        print(f"{'':>10}  outcomes {dict(sorted(outcomes.items()))}; inbox {stored} events, "
              f"{waiting} waiting; orders judged {len(judged)}, wrong {len(wrong)}; "
              f"{len(refunds)} refunds and the holds prepared in {prepared:.0f} s (untimed)")
        if wrong:
            print(f"{'':>10}  e.g. {wrong[:5]}")
        db.session.remove()
        db.engine.dispose()
    return {"events_per_s": rate, "deliveries": len(deliveries), "distinct_events": len(stream),
            "seconds": elapsed, "bare_signature_verifications_per_s": verify_rate,
            "ratio_to_bare_verification": rate / verify_rate, "orders_judged": len(judged),
            "orders_wrong": len(wrong), "events_stored": stored, "events_waiting": waiting,
            "outcomes": dict(sorted(outcomes.items())), "prepared_seconds_untimed": prepared}


def _judge(rows, fake) -> list[tuple]:
    """Orders not in the state their story's last event implies, refunds the market owes but
    Stripe never received, disputes missing from their order's flag."""
    from models import Order, Refund, db

    found = {oid: (status, flag)
             for oid, status, flag in db.session.query(Order.id, Order.status, Order.flag)}
    sent = {oid for oid, ref in db.session.query(Refund.order_id, Refund.provider_ref) if ref in fake.refunds}
    wrong = []
    for oid, _pid, story, n in rows:
        status, flag = found[oid]
        if status != EXPECTED[story]:
            wrong.append((oid, story, status))
        elif story in MARKET_REFUNDS and oid not in sent:
            wrong.append((oid, story, "refund never sent"))
        elif story in ("disputed", "dispute_lost") and f"dp_bench_{n}" not in (flag or ""):
            wrong.append((oid, story, f"flag {flag!r}"))
        elif story == "dispute_won" and flag:
            wrong.append((oid, story, f"flag {flag!r} not cleared"))
    return wrong


def _targets(name: str, found: dict) -> list[dict]:
    from bench import record

    return [
        record.target(f"orders in a wrong final state, {name}", "0", found["orders_wrong"],
                      found["orders_wrong"] == 0),
        record.target(f"events stored once each, {name}", f"= {found['distinct_events']}",
                      found["events_stored"], found["events_stored"] == found["distinct_events"]),
        record.target(f"events left waiting, {name}", "0", found["events_waiting"],
                      found["events_waiting"] == 0),
    ]


def main() -> bool:
    from bench import record
    from bench.pg import in_fresh_schema, search_path

    run = record.Run("webhooks", parameters={"events": EVENTS, "duplicate_share": DUPLICATE_SHARE,
                                             "seed": SEED, "stories": list(STORIES)})
    # A stopped run (timeout, kill) still drops its PostgreSQL schema in the `finally` below.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))
    figures: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        figures["sqlite"] = _run("SQLite", {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
            "INSTANCE_DIR": Path(tmp), "SEARCH_INDEX_DIR": Path(tmp) / "search"})

    def on_postgresql(url: str, schema: str) -> dict:
        with tempfile.TemporaryDirectory() as tmp:
            return _run("PostgreSQL", {
                "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_DIR": Path(tmp),
                "SEARCH_INDEX_DIR": Path(tmp) / "search", "SQLALCHEMY_ENGINE_OPTIONS": search_path(schema)})

    figures["postgresql"] = in_fresh_schema(PG_URL, on_postgresql)
    targets = [t for name, found in figures.items() if "skipped" not in found for t in _targets(name, found)]
    run.write(figures, targets)
    return all(t["met"] for t in targets)


if __name__ == "__main__":
    main()
