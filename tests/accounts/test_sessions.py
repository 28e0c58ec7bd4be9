"""Sessions end on the server: logging out, 'log out everywhere else', and time away."""

import pytest
from flask import current_app

from market import sessions
from tests.conftest import login, post_form

PRIVATE = "/account/password"


def _logged_in(client) -> bool:
    return client.get(PRIVATE).status_code == 200


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_cookie_saved_before_logout_no_longer_works(client, make):
    user = make.user()
    login(client, user)
    saved = _cookie(client)
    post_form(client, "/logout", form_url="/")
    thief = current_app.test_client()
    thief.set_cookie("session", saved)
    assert not _logged_in(thief)


def test_log_out_everywhere_else_keeps_this_browser(client, make):
    user = make.user()
    phone, laptop = current_app.test_client(), client
    login(phone, user)
    login(laptop, user)
    response = post_form(laptop, "/account/sessions/end", form_url=PRIVATE)
    assert response.status_code == 302
    assert _logged_in(laptop)
    assert not _logged_in(phone)


def test_the_account_page_offers_it(client, make):
    login(client, make.user())
    assert 'action="/account/sessions/end"' in client.get(PRIVATE).get_data(as_text=True)


@pytest.fixture
def clock(monkeypatch):
    moment = {"now": 1_800_000_000}
    monkeypatch.setattr(sessions, "now", lambda: moment["now"])
    return moment


@pytest.mark.parametrize("role, hours_kept", [("customer", 14 * 24), ("staff", 12), ("admin", 12)])
def test_an_idle_session_ends(client, make, clock, role, hours_kept):
    if role == "staff":
        user = make.member(make.home())
    else:
        user = make.user(is_admin=role == "admin")
    login(client, user)
    clock["now"] += hours_kept * 3600 - 60
    assert _logged_in(client)  # used just before the limit: the clock starts again
    clock["now"] += hours_kept * 3600 - 60
    assert _logged_in(client)
    clock["now"] += hours_kept * 3600 + 60
    assert not _logged_in(client)
    assert _logged_in(login(client, user) and client)  # logging in again works
