"""Site-wide behaviour: health check, language choice, error pages, configuration."""

import pytest

from config.settings import DEV_SECRET_KEY
from market import create_app
from models import db


def test_healthz_answers_200_with_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] is True


def test_healthz_answers_503_without_database(tmp_path):
    app = create_app({"TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503


def test_chinese_is_the_default_and_english_is_one_click_away_and_remembered(client):
    home = client.get("/").get_data(as_text=True)
    assert 'lang="zh-Hans"' in home and "幸福院" in home
    switched = client.get("/lang/en?next=/browse")
    assert switched.status_code == 302 and switched.location.endswith("/browse")
    page = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in page and "Happiness homes" in page
    back = client.get("/lang/zh_Hans?next=/")
    assert back.status_code == 302
    assert 'lang="zh-Hans"' in client.get("/").get_data(as_text=True)


def test_language_switch_refuses_offsite_redirect_and_unknown_language(client):
    assert client.get("/lang/en?next=//evil.example.com").location.endswith("/")
    assert "evil" not in client.get("/lang/en?next=https://evil.example.com").location
    assert client.get("/lang/fr").status_code == 404


def test_production_refuses_the_development_secret_key(monkeypatch, tmp_path):
    from market.ledger.signing import generate

    monkeypatch.setenv("MARKET_ENV", "production")
    key = tmp_path / "ledger.key"
    generate(key)  # production also needs the ledger's signing key (tests/ledger/test_signed_heads.py)
    with pytest.raises(RuntimeError):
        create_app({"SECRET_KEY": DEV_SECRET_KEY, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "LEDGER_SIGNING_KEY_FILE": str(key)})
    app = create_app({"SECRET_KEY": "a-real-secret-from-the-environment",
                      "SQLALCHEMY_DATABASE_URI": "sqlite://", "LEDGER_SIGNING_KEY_FILE": str(key)})
    assert app.config["ENV_NAME"] == "production"


@pytest.mark.postgres
def test_postgresql_runs_on_psycopg_3(app):
    """(SQLite's settings: tests/site/test_sqlite.py.)"""
    assert db.engine.dialect.name == "postgresql" and db.engine.dialect.driver == "psycopg"


def test_account_language_follows_the_user_to_a_new_browser(app, make):
    from tests.conftest import login

    user = make.user(locale="en")
    browser = app.test_client()
    assert 'lang="zh-Hans"' in browser.get("/").get_data(as_text=True)
    login(browser, user)
    assert 'lang="en"' in browser.get("/").get_data(as_text=True)


def test_switching_language_by_link_writes_only_the_cookie(client, make):
    """A GET is followed by crawlers and link previews: it never changes the account (#13)."""
    from tests.conftest import login

    user = make.user(locale="zh_Hans")
    login(client, user)
    response = client.get("/lang/en?next=/browse")
    assert response.status_code == 302 and "lang=en" in response.headers["Set-Cookie"]
    db.session.refresh(user)
    assert user.locale == "zh_Hans"
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_signed_in_switch_is_a_form_that_saves_the_account(app, client, make):
    from tests.conftest import login, post_form

    user = make.user(locale="zh_Hans")
    login(client, user)
    page = client.get("/browse").get_data(as_text=True)
    assert 'action="/lang/en"' in page and 'href="/lang/en' not in page
    response = post_form(client, "/lang/en", {"next": "/browse"}, form_url="/browse")
    assert response.status_code == 303 and response.headers["Location"].endswith("/browse")
    db.session.refresh(user)
    assert user.locale == "en"
    laptop = app.test_client()
    login(laptop, user)
    assert 'lang="en"' in laptop.get("/").get_data(as_text=True)


def test_language_chosen_on_this_device_wins_at_login_and_is_saved(app, client, make):
    from tests.conftest import login

    user = make.user(locale="en")
    client.get("/lang/zh_Hans")  # chosen before logging in
    login(client, user)
    assert 'lang="zh-Hans"' in client.get("/").get_data(as_text=True)
    db.session.refresh(user)
    assert user.locale == "zh_Hans"
    laptop = app.test_client()  # the account now carries the choice to a new browser
    login(laptop, user)
    assert 'lang="zh-Hans"' in laptop.get("/").get_data(as_text=True)


def test_switching_language_writes_nothing_and_the_account_keeps_it_at_logout(app, client, make):
    """GET /lang/<code> only sets the cookie (no GET writes); logging out (a POST) saves the
    language chosen on this device to the account, which carries it to a new browser."""
    from sqlalchemy import event

    from tests.conftest import login, post_form

    user = make.user(locale="zh_Hans")
    login(client, user)
    writes = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get("/lang/en?next=/browse").status_code == 302
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert writes == []
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
    db.session.refresh(user)
    assert user.locale == "zh_Hans"
    post_form(client, "/logout", form_url="/")
    db.session.refresh(user)
    assert user.locale == "en"
    laptop = app.test_client()
    login(laptop, user)
    assert 'lang="en"' in laptop.get("/").get_data(as_text=True)


def test_print_buttons_say_how_to_print_without_javascript(client, make):
    """The button needs a script; without one it is hidden (site.css hides .needs-js until
    static/js/site.js marks the page) and a hint shows."""
    import re

    home = make.home()
    client.set_cookie("lang", "en")
    page = client.get(f"/fund/{home.slug}/statement/2026-11").get_data(as_text=True)
    assert re.search(r'<script src="/static/js/site\.js[^"]*" defer></script>', page)
    button = re.search(r'<button[^>]*data-print[^>]*>', page).group(0)
    assert 'class="needs-js"' in button
    assert "<noscript>To print this page, choose Print in your browser's menu.</noscript>" in page
