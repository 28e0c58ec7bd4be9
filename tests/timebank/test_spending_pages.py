"""Spending, giving and disputing through the pages: a volunteer spends hours in another home for
a family member (that home's staff see it to arrange), gives hours to an elder; staff spend a gift
for an elder without a phone; a dispute opened by staff is decided by another supervisor."""

from flask import current_app
from sqlalchemy import func, select

from market.ledger.verify import verify_ledger
from market.timebank import passbook
from models import JournalEntry, TimeDispute, TimeTransfer, db
from tests.conftest import login
from tests.timebank.helpers import bank, confirmed
from tests.timebank.test_pages import send


def as_user(user):
    client = current_app.test_client()
    client.set_cookie("lang", "en")
    login(client, user)
    return client


def test_spend_in_another_home_and_give_to_an_elder(app, make):
    b = bank(make)
    confirmed(b, 120, days_ago=10)
    other = make.home()
    other_staff = make.member(other)
    volunteer = as_user(b.volunteer_user)
    vid = b.volunteer.id
    answer = send(volunteer, "/timebank/", f"/timebank/people/{vid}/spend",
                  {f"p{vid}-serving_home": other.id, f"p{vid}-minutes": "45", f"p{vid}-what": "理发",
                   f"p{vid}-beneficiary": "父亲"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    transfer = db.session.scalar(select(TimeTransfer))
    assert (transfer.home_id, transfer.minutes, transfer.beneficiary) == (other.id, 45, "父亲")
    page = as_user(other_staff).get(f"/manage/{other.slug}/timebank/").get_data(as_text=True)
    assert "理发" in page and "父亲" in page
    answer = send(volunteer, "/timebank/", f"/timebank/people/{vid}/give",
                  {f"g{vid}-to_person": b.elder.id, f"g{vid}-gift_minutes": "30"})
    assert answer.status_code == 302
    assert passbook.held(b.volunteer) == 45 and passbook.held(b.elder) == 30
    # More than is held: refused with the reason, nothing posted.
    entries = db.session.scalar(select(func.count(JournalEntry.id)))
    answer = send(volunteer, "/timebank/", f"/timebank/people/{vid}/give",
                  {f"g{vid}-to_person": b.elder.id, f"g{vid}-gift_minutes": "46"})
    assert answer.status_code == 409 and "Not enough hours" in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count(JournalEntry.id))) == entries
    # Staff spend the elder's gift for them (no phone).
    desk = as_user(b.staff)
    url = f"/manage/{b.home.slug}/timebank/people/{b.elder.id}"
    answer = send(desk, url, f"{url}/spend", {"serving_home": b.home.id, "minutes": "30", "what": "送餐"})
    assert answer.status_code == 302
    assert passbook.held(b.elder) == 0
    # Nobody else spends a volunteer's hours.
    stranger = as_user(make.user())
    answer = send(stranger, "/timebank/", f"/timebank/people/{vid}/spend",
                  {f"p{vid}-serving_home": other.id, f"p{vid}-minutes": "1", f"p{vid}-what": "x"})
    assert answer.status_code == 404
    assert verify_ledger().ok


def test_a_dispute_through_the_console_with_four_eyes(app, make):
    b = bank(make)
    service = confirmed(b, 60, days_ago=1)
    base = f"/manage/{b.home.slug}/timebank"
    desk = as_user(b.staff)
    page = f"{base}/people/{b.volunteer.id}"
    answer = send(desk, page, f"{base}/services/{service.id}/dispute", {"reason": "没有来"})
    assert answer.status_code == 302
    dispute = db.session.scalar(select(TimeDispute))
    # Staff cannot decide; a supervisor can (the opener never could).
    assert send(desk, f"{base}/", f"{base}/disputes/{dispute.id}/decide", {"uphold": "1"}).status_code == 403
    boss = as_user(b.supervisor)
    answer = send(boss, f"{base}/", f"{base}/disputes/{dispute.id}/decide", {"uphold": "1"})
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(TimeDispute, dispute.id).status == "upheld"
    assert passbook.held(b.volunteer) == 0
    assert [r.minutes for r in passbook.passbook(b.volunteer)] == [60, -60]
    assert verify_ledger().ok


def test_the_reserve_through_the_pages(app, make):
    b = bank(make)
    confirmed(b, 120, days_ago=10)
    vid = b.volunteer.id
    volunteer = as_user(b.volunteer_user)
    answer = send(volunteer, "/timebank/", f"/timebank/people/{vid}/donate", {f"r{vid}-donate_minutes": "60"})
    assert answer.status_code == 302
    base = f"/manage/{b.home.slug}/timebank"
    desk = as_user(b.staff)
    answer = send(desk, f"{base}/", f"{base}/reserve/allocate",
                  {"to_person": b.elder.id, "alloc_minutes": "45", "reason": "腿脚不便"})
    assert answer.status_code == 302
    from models import TimeAllocation
    allocation = db.session.scalar(select(TimeAllocation))
    decide = f"{base}/reserve/{allocation.id}/decide"
    assert send(desk, f"{base}/", decide, {"uphold": "1"}).status_code == 403
    outsider = as_user(make.member(make.home(), "supervisor"))
    assert send(outsider, "/timebank/", f"{base}/reserve/{allocation.id}/decide",
                {"uphold": "1"}).status_code == 404
    boss = as_user(b.supervisor)
    assert "腿脚不便" in boss.get(f"{base}/").get_data(as_text=True)
    assert send(boss, f"{base}/", decide, {"uphold": "1"}).status_code == 302
    assert passbook.held(b.elder) == 45
    assert verify_ledger().ok
