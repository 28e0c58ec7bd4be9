"""The admin invites a home's new staff member who has no account: an account, a membership and
an email whose link lets them choose a password once, within 7 days, then land on their day."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from market import mail
from models import Membership, User, db
from tests.conftest import login, post_form

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def invite(app, make):
    home = make.home()
    admin = app.test_client()
    admin.get("/lang/en")
    login(admin, make.user(is_admin=True))
    url = f"/admin/homes/{home.id}/edit"

    def send(**fields):
        data = {"name": "Wang Fang", "email": "wang.fang@example.com", "role": "staff", **fields}
        return post_form(admin, f"/admin/homes/{home.id}/invitations", data, form_url=url)

    send.home = home
    return send


def _link() -> str:
    [message] = [m for m in mail.outbox if "invited" in m["Subject"]]
    return re.search(r"http://localhost(/invitation/\S+)", message.get_content()).group(1)


def _users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_the_invited_person_chooses_a_password_once_and_lands_on_their_day(app, client, invite):
    mail.outbox.clear()
    assert invite().status_code == 302
    user = db.session.scalar(select(User).where(User.email == "wang.fang@example.com"))
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert membership.home_id == invite.home.id and membership.role == "staff"
    link = _link()
    assert "Wang Fang" in client.get(link).get_data(as_text=True)
    short = post_form(client, link, {"password": "short", "confirm": "short"})
    assert short.status_code == 400 and "at least 8 characters" in short.get_data(as_text=True)
    done = post_form(client, link, {"password": "village-2026", "confirm": "village-2026"})
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/manage/{invite.home.slug}/orders/today")
    again = app.test_client().get(link)  # a new browser: Chinese
    assert again.status_code == 400 and "这个邀请已经用过了" in again.get_data(as_text=True)
    login(app.test_client(), user, password="village-2026")


def test_an_invitation_expires_after_seven_days(app, client, invite, monkeypatch):
    import time as time_module

    mail.outbox.clear()
    invite()
    link = _link()
    later = time_module.time() + timedelta(days=7, minutes=1).total_seconds()
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    response = client.get(link)
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


@pytest.mark.parametrize("token", ["nonsense", "eyJ1c2VyIjoxfQ.AAAA.BBBB", "x" * 500])
def test_a_forged_link_is_refused(client, token):
    response = client.get(f"/invitation/{token}")
    assert response.status_code == 400 and "not valid" in response.get_data(as_text=True)


@pytest.mark.parametrize("fields, words", [
    ({"email": "not-an-address"}, "does not look right"),
    ({"name": ""}, "Please fill in this field"),
    ({"role": "owner"}, "Not a valid choice"),
])
def test_bad_invitations_change_nothing(invite, fields, words):
    before = _users()
    mail.outbox.clear()
    response = invite(**fields)
    assert response.status_code == 400 and words in response.get_data(as_text=True)
    assert _users() == before and mail.outbox == []


def test_an_address_with_an_account_is_added_instead_not_invited(invite, make):
    make.user(email="taken@example.com")
    before = _users()
    response = invite(email="taken@example.com")
    assert response.status_code == 400 and "already has an account" in response.get_data(as_text=True)
    assert _users() == before


def test_only_an_admin_invites(app, make):
    home = make.home()
    staff = make.member(home)
    client = app.test_client()
    login(client, staff)
    response = post_form(client, f"/admin/homes/{home.id}/invitations",
                         {"name": "X", "email": "x@example.com", "role": "staff"},
                         form_url=f"/manage/{home.slug}/orders/today")
    assert response.status_code == 403
    assert db.session.scalar(select(User).where(User.email == "x@example.com")) is None
