"""The schedules a worker runs (Huey periodic tasks, read on the homes' clock, Asia/Shanghai), the
daily Stripe check they include, and mail that fails being tried again by the outbox."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from market import mail
from market.jobs import outbox
from market.jobs.queue import huey
from market.payments.tasks import daily_stripe_check
from market.search.tasks import HALF_MINUTE, apply_queue
from models import OutboxJob, Refund, db, utcnow
from tests.factories import cancel, paid_by_stripe
from tests.payments.stripe_fixtures import *  # noqa: F403 - the fixtures fake and tour
from tests.payments.stripe_fixtures import reload


def _schedule(name: str):
    [task] = [t for t in huey._registry._periodic_tasks if t.__name__ == name]
    return task().validate_datetime


def _fires(name: str, day: datetime, minutes: int = 24 * 60) -> list[str]:
    """The UTC times (HH:MM) of one day at which the schedule `name` fires (Huey asks in naive UTC)."""
    check = _schedule(name)
    moments = (day + timedelta(minutes=m) for m in range(minutes))
    return [f"{m:%H:%M}" for m in moments if check(m)]


DAY = datetime(2026, 12, 4)  # naive UTC midnight, as Huey passes it


def test_each_schedule_runs_when_the_issue_says_on_the_homes_clock(app):
    every_minute = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]
    for name in ("jobs.sweep", "jobs.heartbeat", "orders.expire_holds", "search.apply_queue"):
        assert _fires(name, DAY) == every_minute, name
    assert _fires("fund.release_income", DAY, 60) == ["00:00", "00:10", "00:20", "00:30", "00:40", "00:50"]
    assert _fires("search.reindex", DAY) == ["16:10"]  # 00:10 in Shanghai (UTC+8)
    assert _fires("payments.daily", DAY) == ["19:30"]  # 03:30 in Shanghai


def test_the_search_queue_is_applied_every_30_seconds(app):
    """Huey's finest schedule is a minute: the minute's run schedules a second one 30 s on."""
    huey.storage.flush_schedule()
    before = datetime.now(UTC).replace(tzinfo=None)
    apply_queue.call_local()
    [again] = huey.scheduled()
    assert again.name == "search.apply_queue_again"
    assert timedelta(seconds=HALF_MINUTE - 2) <= again.eta - before <= timedelta(seconds=HALF_MINUTE + 2)
    huey.storage.flush_schedule()


def test_the_daily_stripe_check_resends_a_refund_stripe_never_answered(app, client, fake, tour):
    order = paid_by_stripe(client, fake, tour)
    fake.fail_next("/v1/refunds", "500")
    cancel(order)
    refund = db.session.scalar(select(Refund).where(Refund.order_id == order.id))
    assert refund.provider_ref is None and refund.status == "pending"
    db.session.commit()
    daily_stripe_check.call_local()  # 03:30 home time
    assert reload(refund).provider_ref in fake.refunds and len(fake.refunds) == 1


def test_the_daily_stripe_check_does_nothing_without_stripe(app):
    assert not app.config.get("STRIPE_SECRET_KEY")
    assert daily_stripe_check.call_local() is None  # no keys: nothing asked of anyone


def test_mail_the_server_refuses_is_tried_again_and_sent_once(app):
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=1)  # nothing listens
    mail.outbox.clear()
    mail.send_after_commit(mail.Mail("li@example.com", "Order received", "Thank you."))
    db.session.commit()  # the page that decided the mail is done; the call failed after it
    row = db.session.scalar(select(OutboxJob).where(OutboxJob.key.like("mail:%")))
    assert (row.status, row.tries) == ("waiting", 1) and row.last_error
    assert row.run_after > utcnow() + timedelta(seconds=20)  # backs off
    assert mail.outbox == []
    app.config["MAIL_BACKEND"] = "console"  # the mail server is back
    db.session.execute(update(OutboxJob).values(run_after=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert outbox.sweep(0) == 1
    assert [m["To"] for m in mail.outbox] == ["li@example.com"]
    assert outbox.sweep(0) == 0  # done: never sent twice
    mail.send_after_commit(mail.Mail("li@example.com", "Order received", "Thank you."))
    db.session.commit()  # the same message again (same key): not sent again
    assert len(mail.outbox) == 1
