"""The time bank's pages: staff register an elder without a phone and enter a request, a volunteer
takes it and records the help, staff confirm on the elder's behalf, the passbook shows the hours
with a proof recomputed from each entry; the public page shows totals without elders' names; one
home's staff never see or change another home's time bank; bad input changes nothing."""

import re
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from market import clock
from market.timebank import passbook
from models import JournalEntry, Service, ServiceRequest, TimePerson, db
from tests.conftest import login, post_form
from tests.timebank.helpers import bank, confirmed

_CSRF = re.compile(r'name="(?:[a-z0-9]+-)?csrf_token"[^>]*value="([^"]+)"')
_ONCE = re.compile(r'name="form_once" value="([0-9a-f]{32})"')


def send(client, page: str, url: str, data: dict):
    """Post a form of `page` (prefixed fields included) with its CSRF and one-time tokens."""
    html = client.get(page).get_data(as_text=True)
    token = _CSRF.search(html).group(1)
    fields = dict(data)
    prefix = next((k.split("-", 1)[0] + "-" for k in data if "-" in k), "")
    fields[f"{prefix}csrf_token"] = token
    fields["form_once"] = _ONCE.search(html).group(1) if _ONCE.search(html) else "0" * 31 + "1"
    return client.post(url, data=fields)


def as_user(user):
    client = current_app.test_client()
    client.set_cookie("lang", "en")
    login(client, user)
    return client


def test_request_to_confirmed_hours_in_the_passbook(app, make):
    home = make.home()
    staff, staff2 = make.member(home), make.member(home)
    volunteer_user = make.user()
    base = f"/manage/{home.slug}/timebank"
    desk = as_user(staff)
    answer = post_form(desk, f"{base}/people/new", {"name": "王奶奶", "village": "前屯村", "phone": ""})
    assert answer.status_code == 302
    elder = db.session.scalar(select(TimePerson).where(TimePerson.name == "王奶奶"))
    assert elder.user_id is None and elder.is_volunteer is False and elder.created_by_id == staff.id
    tomorrow = clock.local_today() + timedelta(days=1)
    answer = post_form(desk, f"{base}/requests/new", {
        "elder_id": elder.id, "skill": "meals", "what": "送午饭", "day": tomorrow.isoformat(), "at": "11:30",
        "place": "村东头"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    request = db.session.scalar(select(ServiceRequest))
    assert request.status == "open" and request.entered_by_id == staff.id

    volunteer = as_user(volunteer_user)
    answer = post_form(volunteer, f"/timebank/join/{home.slug}",
                       {"name": "小李", "village": "前屯村", "skills": ["meals", "visits"]})
    assert answer.status_code == 302
    page = volunteer.get("/timebank/").get_data(as_text=True)
    assert "送午饭" in page and "I will help" in page
    assert send(volunteer, "/timebank/", f"/timebank/requests/{request.id}/accept", {}).status_code == 302
    yesterday = clock.local_today() - timedelta(days=1)
    answer = send(volunteer, "/timebank/", f"/timebank/requests/{request.id}/done",
                  {f"d{request.id}-day": yesterday.isoformat(), f"d{request.id}-start": "11:00",
                   f"d{request.id}-minutes": "90", f"d{request.id}-note": ""})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]
    service = db.session.scalar(select(Service))
    assert service.status == "logged" and service.receiver_id == elder.id and service.minutes == 90

    # The volunteer cannot confirm their own help; staff confirm for the elder without a phone.
    assert send(volunteer, "/timebank/", f"/timebank/services/{service.id}/confirm", {}).status_code == 409
    desk2 = as_user(staff2)
    assert "小李" in desk2.get(f"{base}/").get_data(as_text=True)
    assert send(desk2, f"{base}/", f"{base}/services/{service.id}/confirm", {}).status_code == 302
    db.session.expire_all()
    service = db.session.get(Service, service.id)
    assert service.status == "confirmed" and service.confirmed_by_id == staff2.id and service.on_behalf

    person = db.session.scalar(select(TimePerson).where(TimePerson.user_id == volunteer_user.id))
    book = volunteer.get(f"/timebank/passbook/{person.id}").get_data(as_text=True)
    entry = db.session.get(JournalEntry, service.entry_id)
    assert f"/ledger/entries/{entry.seq}" in book
    assert "1 h 30 min" in book and "checked" in book and "does not check" not in book
    rows = passbook.passbook(person)
    assert [r.minutes for r in rows] == [90] and rows[-1].balance == passbook.held(person) == 90
    ledger_page = volunteer.get(f"/ledger/entries/{entry.seq}").get_data(as_text=True)
    assert "1 h 30 min" in ledger_page and "¥" not in ledger_page.split("<main", 1)[1].split("</main>")[0]
    assert "The inclusion proof checks out." in ledger_page
    # Staff see the same passbook in the console, printable.
    assert "1 h 30 min" in desk.get(f"{base}/people/{person.id}").get_data(as_text=True)


def test_the_passbook_recomputes_each_proof_and_shows_a_changed_entry(app, make):
    b = bank(make)
    service = confirmed(b, 60)
    client = as_user(b.volunteer_user)
    person_id, entry_id = b.volunteer.id, service.entry_id
    assert "does not check" not in client.get(f"/timebank/passbook/{person_id}").get_data(as_text=True)
    from tests.ledger.test_verify import tamper
    tamper(f"UPDATE ledger_postings SET amount = amount * 3 WHERE entry_id = {entry_id}", "ledger_postings")
    page = client.get(f"/timebank/passbook/{person_id}").get_data(as_text=True)
    assert "does not check" in page


def test_the_public_page_shows_totals_without_elders(app, make):
    b = bank(make)
    confirmed(b, 45, days_ago=0.1)
    page = current_app.test_client().get(f"/timebank/homes/{b.home.slug}").get_data(as_text=True)
    assert "王奶奶" not in page and "小李" not in page
    totals = passbook.home_totals(b.home)
    assert totals.minutes_this_month == 45 or clock.local_today().day == 1
    assert totals.volunteers == 1


def test_one_homes_staff_never_see_or_change_another_homes_time_bank(app, make):
    b = bank(make)
    service = confirmed(b, 30)
    logged = db.session.scalar(select(Service).where(Service.id == service.id))
    other = make.home()
    outsider = as_user(make.member(other))
    base = f"/manage/{b.home.slug}/timebank"
    for url in (f"{base}/", f"{base}/people", f"{base}/people/{b.elder.id}", f"{base}/requests/new",
                f"/timebank/passbook/{b.elder.id}", f"/timebank/passbook/{b.volunteer.id}"):
        assert outsider.get(url).status_code == 404, url
    # Their own console does not reach this home's people either.
    assert outsider.get(f"/manage/{other.slug}/timebank/people/{b.elder.id}").status_code == 404
    before = db.session.scalar(select(func.count(JournalEntry.id)))
    for url in (f"{base}/services/{logged.id}/confirm", f"{base}/services/{logged.id}/dispute",
                f"/manage/{other.slug}/timebank/services/{logged.id}/confirm"):
        answer = send(outsider, f"/manage/{other.slug}/timebank/", url, {"reason": "x"})
        assert answer.status_code == 404, url
    assert db.session.scalar(select(func.count(JournalEntry.id))) == before
    # A supervisor of the home reads but cannot confirm.
    pending = db.session.get(Service, service.id)
    assert pending.status == "confirmed"
    reader = as_user(b.supervisor)
    assert reader.get(f"{base}/").status_code == 200


@pytest.mark.parametrize("fields, message", [
    ({"day": "future", "start": "23:59", "minutes": "60"}, "future"),
    ({"day": "2000-01-01", "start": "10:00", "minutes": "60"}, "within a year"),
    ({"day": "past", "start": "10:00", "minutes": "721"}, "Please give"),
])
def test_bad_service_times_change_nothing(app, make, fields, message):
    b = bank(make)
    from market.timebank import needs
    request = needs.create_request(b.staff, b.home.id, b.elder.id, skill="visits", what="聊天",
                                   wanted_at=clock.now())
    needs.accept(b.volunteer_user, request.id)
    day = {"future": clock.local_today() + timedelta(days=1),
           "past": clock.local_today() - timedelta(days=2)}.get(fields["day"])
    data = {f"d{request.id}-{k}": (day.isoformat() if k == "day" and day else v) for k, v in fields.items()}
    client = as_user(b.volunteer_user)
    answer = send(client, "/timebank/", f"/timebank/requests/{request.id}/done", data)
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Service.id))) == 0
