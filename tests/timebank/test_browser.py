"""On a 360px phone, without JavaScript: staff enter a request for an elder who has no phone → a
volunteer takes it → records the help → staff confirm on the elder's behalf → the volunteer's
passbook shows the hours with a proof that checks. Runs on the PostgreSQL run, like every
browser test (tests/site/test_browser.py has the setup)."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from market import clock
from models import Service, ServiceRequest, TimePerson, User, db
from tests.site.test_browser import _check_page, browser, live_server, phone_page, shots  # noqa: F401

pytestmark = pytest.mark.browser
PASSWORD = "demo-pass-2026"


def _login(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#identifier", email)
    page.fill("#password", PASSWORD)
    _submit(page, "main button[type=submit]")
    page.wait_for_load_state()


def _submit(page, selector: str) -> None:
    """Click a form's button and wait for the answer page (the POST is done when it returns)."""
    button = page.locator(selector)
    button.hover()  # after a full-page screenshot Chromium may drop the first input event
    with page.expect_navigation():
        button.click()
    page.wait_for_load_state()


def _fresh(model, *where):
    db.session.commit()
    db.session.expire_all()
    return db.session.scalar(select(model).where(*where).order_by(model.id.desc()).limit(1))


def test_a_request_for_an_elder_without_a_phone_to_hours_in_the_passbook(browser, live_server, shots):  # noqa: F811
    base = live_server
    desk = phone_page(browser, java_script_enabled=False)
    _login(desk, base, "staff.qiantun@demo.example.com")

    desk.goto(f"{base}/manage/qiantun/timebank/people/new")
    _check_page(desk, shots, "tb-01-register")
    desk.fill("#name", "马奶奶")
    desk.fill("#village", "前屯村")
    desk.uncheck("#is_volunteer")
    _submit(desk, "main button[type=submit]")
    elder = _fresh(TimePerson, TimePerson.name == "马奶奶")
    assert elder is not None and elder.user_id is None and elder.phone is None

    yesterday = clock.local_today() - timedelta(days=1)
    desk.goto(f"{base}/manage/qiantun/timebank/requests/new")
    _check_page(desk, shots, "tb-02-request")
    desk.select_option("#elder_id", str(elder.id))
    desk.select_option("#skill", "tech")
    desk.fill("#what", "教马奶奶用手机和孙子视频")
    desk.fill("#day", yesterday.isoformat())
    desk.fill("#at", "10:00")
    desk.fill("#place", "马奶奶家")
    _submit(desk, "main button[type=submit]")
    request = _fresh(ServiceRequest, ServiceRequest.elder_id == elder.id)
    assert request is not None and request.status == "open"

    helper = phone_page(browser, java_script_enabled=False)
    _login(helper, base, "volunteer.qiantun@demo.example.com")
    helper.goto(f"{base}/timebank/")
    _check_page(helper, shots, "tb-03-volunteer")
    _submit(helper, f"form[action$='/requests/{request.id}/accept'] button")
    helper.goto(f"{base}/timebank/")
    _check_page(helper, shots, "tb-04-record")
    helper.fill(f"#d{request.id}-day", yesterday.isoformat())
    helper.fill(f"#d{request.id}-start", "10:00")
    helper.fill(f"#d{request.id}-minutes", "90")
    _submit(helper, f"form[action$='/requests/{request.id}/done'] button[type=submit]")
    service = _fresh(Service, Service.request_id == request.id)
    assert service is not None and service.status == "logged" and service.minutes == 90

    desk.goto(f"{base}/manage/qiantun/timebank/")
    _check_page(desk, shots, "tb-05-staff")
    _submit(desk, f"form[action$='/services/{service.id}/confirm'] button")
    service = _fresh(Service, Service.id == service.id)
    staff = _fresh(User, User.email == "staff.qiantun@demo.example.com")
    assert service.status == "confirmed" and service.on_behalf and service.confirmed_by_id == staff.id

    volunteer = _fresh(TimePerson, TimePerson.id == service.volunteer_id)
    helper.goto(f"{base}/timebank/passbook/{volunteer.id}")
    _check_page(helper, shots, "tb-06-passbook")
    last = helper.locator("ol.passbook-rows li").last
    assert "1小时30分钟" in last.inner_text() and "已核对" in last.inner_text()
    last.locator("a[href^='/ledger/entries/']").click()
    _check_page(helper, shots, "tb-07-entry")
    assert "收录证明核对无误" in helper.locator("main").inner_text()
    seq = helper.url.rstrip("/").rsplit("/", 1)[-1]
    helper.goto(f"{base}/ledger/entries/{seq}/proof")
    proof = json.loads(helper.locator("body").inner_text())
    assert proof["verified"] is True
