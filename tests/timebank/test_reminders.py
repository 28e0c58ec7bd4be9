"""Reminders by mail through the outbox: the volunteer the day before a request (the home's
calendar day, Asia/Shanghai), the receiver — or the staff, for elders without an account — of a
service unconfirmed for 2 days; once per thing however often the task runs; in the reader's
language; people without email skipped and listed for the staff."""

from datetime import time, timedelta

from sqlalchemy import select

from market import clock, mail
from market.jobs.queue import huey
from market.timebank import hours, needs, people, reminders
from market.timebank.tasks import remind
from models import OutboxJob, db
from tests.timebank.helpers import ago, bank
from tests.timebank.test_pages import as_user


def _sent_to(address):
    return [m for m in mail.outbox if m["To"] == address]


def _request(b, day, volunteer=None):
    need = needs.create_request(b.staff, b.home.id, b.elder.id, skill="visits", what="上门陪聊天",
                                wanted_at=clock.at_local(day, time(9, 0), b.home), place="王奶奶家")
    return needs.assign(b.staff, b.home.id, need.id, (volunteer or b.volunteer).id)


def test_the_volunteer_is_reminded_the_day_before_on_the_homes_calendar_once(app, make):
    b = bank(make)
    b.volunteer_user.locale = "en"
    db.session.commit()
    day = clock.local_today(home=b.home) + timedelta(days=3)
    need = _request(b, day)
    mail.outbox.clear()
    # 23:59 two days before, Shanghai time: not yet (in UTC it is already 15:59 of the day before).
    assert reminders.send_reminders(now=clock.at_local(day - timedelta(days=2), time(23, 59), b.home)) == 0
    the_day_before = clock.at_local(day - timedelta(days=1), time(0, 30), b.home)
    assert the_day_before.date() == day - timedelta(days=2)  # still "two days before" in UTC
    reminders.send_reminders(now=the_day_before)
    [sent] = _sent_to(b.volunteer_user.email)
    assert sent["Subject"].startswith("Reminder: help tomorrow") and "上门陪聊天" in sent.get_content()
    reminders.send_reminders(now=the_day_before + timedelta(hours=5))
    assert len(_sent_to(b.volunteer_user.email)) == 1
    assert db.session.scalar(select(OutboxJob.key).where(OutboxJob.key.like("timebank:remind:%"))) == \
        f"timebank:remind:request:{need.id}"
    # On the day itself, and for a request no longer assigned, nothing more.
    assert reminders.send_reminders(now=clock.at_local(day, time(7, 0), b.home)) == 0


def test_in_the_readers_language(app, make):
    b = bank(make)
    b.volunteer_user.locale = None  # no language saved: Chinese
    db.session.commit()
    day = clock.local_today(home=b.home) + timedelta(days=2)
    _request(b, day)
    mail.outbox.clear()
    reminders.send_reminders(now=clock.at_local(day - timedelta(days=1), time(12, 0), b.home))
    [sent] = _sent_to(b.volunteer_user.email)
    assert "明天" in sent["Subject"] and "Reminder" not in sent.get_content()


def test_volunteers_without_email_are_skipped_and_listed_for_staff(app, make):
    b = bank(make)
    phoneless = people.register_by_staff(b.staff, b.home.id, people.PersonInput(
        name="赵大勇", village="前屯村", skills=["visits"], phone="13800000000"))
    day = clock.local_today(home=b.home) + timedelta(days=1)
    _request(b, day, volunteer=phoneless)
    mail.outbox.clear()
    assert reminders.send_reminders() == 0 and mail.outbox == []
    [listed] = reminders.without_email(b.home)
    assert listed.request.volunteer.id == phoneless.id
    html = as_user(b.staff).get(f"/manage/{b.home.slug}/timebank/").get_data(as_text=True)
    assert "no email reminder" in html and "赵大勇" in html and "13800000000" in html


def test_an_unconfirmed_service_reminds_the_staff_for_an_elder_without_account(app, make):
    b = bank(make)
    service = hours.log_service(b.volunteer_user, b.home.id, b.volunteer.id, receiver_id=b.elder.id,
                                skill="visits", started_at=ago(hours=3), minutes=60)
    mail.outbox.clear()
    assert reminders.send_reminders(now=service.created_at + timedelta(days=1, hours=23)) == 0
    later = service.created_at + timedelta(days=2, minutes=1)
    reminders.send_reminders(now=later)
    reminders.send_reminders(now=later + timedelta(hours=1))
    assert [len(_sent_to(u.email)) for u in (b.staff, b.staff2)] == [1, 1]
    assert _sent_to(b.supervisor.email) == [] and _sent_to(b.volunteer_user.email) == []
    assert "王奶奶" in _sent_to(b.staff.email)[0].get_content()
    hours.confirm_service(b.staff, b.home.id, service.id)
    mail.outbox.clear()
    reminders.send_reminders(now=later + timedelta(days=1))
    assert mail.outbox == []


def test_an_unconfirmed_service_reminds_a_receiver_with_an_account_and_never_the_logger(app, make):
    b = bank(make)
    receiver_user = make.user(locale="en")
    receiver = people.register_self(receiver_user, b.home.id, people.PersonInput(
        name="李大爷", village="前屯村", skills=["reading"]))
    service = hours.log_service(b.staff, b.home.id, b.volunteer.id, receiver_id=receiver.id,
                                skill="visits", started_at=ago(hours=3), minutes=45)
    mail.outbox.clear()
    reminders.send_reminders(now=service.created_at + timedelta(days=3))
    [sent] = mail.outbox
    assert sent["To"] == receiver_user.email and sent["Subject"].startswith("Please confirm")

    # Staff logged it for an elder without an account: the other staff are reminded, not the logger.
    other = hours.log_service(b.staff, b.home.id, b.volunteer.id, receiver_id=b.elder.id, skill="visits",
                              started_at=ago(hours=6), minutes=30)
    mail.outbox.clear()
    reminders.send_reminders(now=other.created_at + timedelta(days=3))
    assert [m["To"] for m in mail.outbox] == [b.staff2.email]


def test_the_worker_runs_it_every_hour_on_the_homes_clock(app, make, monkeypatch):
    [task] = [t for t in huey._registry._periodic_tasks if t.__name__ == "timebank.remind"]
    from datetime import datetime

    fires = [m for m in (datetime(2026, 12, 4) + timedelta(minutes=n) for n in range(24 * 60))
             if task().validate_datetime(m)]
    assert len(fires) == 24 and all(m.minute == 5 for m in fires)
    b = bank(make)
    day = clock.local_today(home=b.home) + timedelta(days=2)
    _request(b, day)
    mail.outbox.clear()
    monkeypatch.setattr(clock, "now", lambda: clock.at_local(day - timedelta(days=1), time(8, 5), b.home))
    remind.call_local()
    assert len(_sent_to(b.volunteer_user.email)) == 1
