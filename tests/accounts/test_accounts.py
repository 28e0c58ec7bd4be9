"""Sign-up, log-in, log-out and 'log out everywhere' after a password change."""

import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from models import User, db
from tests.conftest import PASSWORD, login, post_form


def _signup(client, **fields):
    data = {"name": "李明", "identifier": "liming@example.com", "password": "tea-garden-88",
            "confirm": "tea-garden-88"}
    data.update(fields)
    return post_form(client, "/signup", data)


def test_signup_by_email_makes_the_account_and_hashes_password(client):
    response = _signup(client)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    user = db.session.scalar(select(User).where(User.email == "liming@example.com"))
    assert user is not None and user.password_hash != "tea-garden-88"
    assert "tea-garden-88" not in user.password_hash
    login(client, user, "tea-garden-88")
    assert "退出" in client.get("/").get_data(as_text=True)  # logged in: the log-out button shows


def test_signup_by_mobile_number(client):
    assert _signup(client, identifier="138 0013 8000").status_code == 302
    assert db.session.scalar(select(User.phone)) == "13800138000"


def test_signup_never_reveals_that_an_account_exists(app, client, make):
    from market import mail

    owner = make.user(email="taken@example.com")
    mail.outbox.clear()
    other = app.test_client()
    taken = _signup(client, identifier="Taken@Example.com")
    fresh = _signup(other, identifier="new@example.com")
    assert taken.status_code == fresh.status_code == 302
    assert taken.headers["Location"] == fresh.headers["Location"]
    def page(browser, response):
        text = browser.get(response.headers["Location"]).get_data(as_text=True)
        return re.sub(r'name="csrf_token"[^>]*>', "", text)

    assert page(client, taken) == page(other, fresh)
    [message] = mail.outbox  # the owner is told; the visitor is not
    assert message["To"] == owner.email
    assert db.session.get(User, owner.id).password_hash == owner.password_hash
    assert db.session.scalar(select(func.count(User.id))) == 2  # the owner and the new account


def test_signup_rejects_bad_identifier_and_short_password(client):
    response = _signup(client, identifier="not-an-address", password="short", confirm="short")
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(User.id))) == 0
    assert "至少 8 个字符" in text


def test_wrong_password_and_unknown_user_get_the_same_message(client, make):
    user = make.user()
    wrong = post_form(client, "/login", {"identifier": user.email, "password": "nope-nope"})
    unknown = post_form(client, "/login", {"identifier": "ghost@example.com", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 400

    def error_of(response):
        text = response.get_data(as_text=True)
        return text[text.index('class="error"'):][:120]

    assert error_of(wrong) == error_of(unknown)


def test_login_with_phone(client, make):
    user = make.user(email=None, phone="13900139000")
    login(client, user)


def test_logout_requires_post_with_csrf(client, make):
    user = make.user()
    login(client, user)
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.get("/logout").status_code == 405


def test_password_change_logs_out_other_sessions(app, make):
    user = make.user()
    phone, laptop = app.test_client(), app.test_client()
    login(phone, user)
    login(laptop, user)
    response = post_form(laptop, "/account/password", {
        "current": PASSWORD, "password": "a-new-long-password", "confirm": "a-new-long-password"})
    assert response.status_code == 302
    assert laptop.get("/account/password").status_code == 200  # this browser stays in
    assert phone.get("/account/password").status_code == 302  # the other one is out
    login(phone, user, password="a-new-long-password")


def test_password_change_with_wrong_current_password_changes_nothing(client, make):
    user = make.user()
    login(client, user)
    before = user.password_hash
    response = post_form(client, "/account/password", {
        "current": "wrong-password", "password": "a-new-long-password",
        "confirm": "a-new-long-password"})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.password_hash == before


def test_forms_without_csrf_token_are_refused(client):
    response = client.post("/signup", data={"name": "x", "identifier": "a@b.cn",
                                            "password": "12345678", "confirm": "12345678"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_an_email_keeps_its_hyphens(client):
    assert _signup(client, identifier="Mary-Jane@My-Village.example.com").status_code == 302
    assert db.session.scalar(select(User.email)) == "mary-jane@my-village.example.com"


def test_a_mainland_number_with_country_code_is_the_same_account(client):
    assert _signup(client, identifier="13800138000").status_code == 302
    for typed in ("+86 138-0013-8000", "008613800138000"):
        response = _signup(client.application.test_client(), identifier=typed)
        assert response.status_code == 302, typed
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_an_overlong_email_is_refused_with_a_message(client):
    response = _signup(client, identifier="a" * 300 + "@example.com")
    assert response.status_code == 400
    assert "太长" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 0


@pytest.mark.parametrize("target", [
    "//evil.example.com", "/\t/evil.example.com", "/\\evil.example.com",
    "https://evil.example.com/", "javascript:alert(1)", "/\n/evil.example.com",
])
def test_next_never_leaves_the_site(client, make, target):
    language = client.get("/lang/en", query_string={"next": target})
    assert language.status_code == 302
    assert language.headers["Location"] in ("/", "http://localhost/")
    user = make.user(email="visitor@example.com")
    response = post_form(client, "/login?" + urlencode({"next": target}),
                         {"identifier": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "http://localhost/"), target


def test_next_keeps_a_path_on_this_site(client):
    response = client.get("/lang/en", query_string={"next": "/browse/tour?page=2"})
    assert response.headers["Location"].endswith("/browse/tour?page=2")
