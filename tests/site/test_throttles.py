"""Throttles: each limit stops the next try with a clear page, and lifts when its window ends."""

import time

import pytest

from tests.conftest import post_form

pytestmark = pytest.mark.throttles


def _wrong_login(client, identifier):
    return post_form(client, "/login", {"identifier": identifier, "password": "wrong-wrong"})


def test_login_is_limited_per_account_with_a_clear_page(app, client, make, english):
    app.config["THROTTLE_LOGIN_ACCOUNT"] = "3 per 1 hour"
    user = make.user()
    for _ in range(3):
        assert _wrong_login(client, user.email).status_code == 400
    stopped = _wrong_login(client, user.email.upper())  # the same account, typed differently
    assert stopped.status_code == 429
    assert "try again in 60 minutes" in stopped.get_data(as_text=True)
    assert 3500 < int(stopped.headers["Retry-After"]) <= 3600
    assert _wrong_login(client, "someone.else@example.com").status_code == 400  # other accounts


def test_login_is_limited_per_address(app, client, make):
    app.config["THROTTLE_LOGIN_ADDRESS"] = "3 per 1 hour"
    for n in range(3):
        assert _wrong_login(client, f"guess{n}@example.com").status_code == 400
    assert _wrong_login(client, "guess9@example.com").status_code == 429


@pytest.mark.parametrize("setting, send", [
    ("THROTTLE_SIGNUP", lambda c: post_form(c, "/signup", {"name": "x", "identifier": "bad"})),
    ("THROTTLE_ORDER_LOOKUP", lambda c: post_form(c, "/orders/lookup", {"reference": "R1", "phone": "1"},
                                                  form_url="/orders")),
    ("THROTTLE_SEARCH", lambda c: c.get("/search?q=tea")),
])
def test_each_limit_stops_and_then_lifts(app, client, setting, send):
    app.config[setting] = "2 per 2 seconds"
    assert send(client).status_code != 429
    assert send(client).status_code != 429
    assert send(client).status_code == 429
    time.sleep(2.1)
    assert send(client).status_code != 429


def test_donation_pledges_are_limited(app, client, make):
    app.config["THROTTLE_DONATE"] = "1 per 1 hour"
    home = make.home()
    url = f"/fund/{home.slug}/donate"
    assert post_form(client, url, {"preset": "5000"}).status_code != 429
    assert post_form(client, url, {"preset": "5000"}).status_code == 429


def test_throttles_are_off_elsewhere_in_the_tests(app):
    assert app.config["RATELIMIT_ENABLED"] is True  # this module is marked


def test_counts_in_redis_are_shared_by_every_web_process(app):
    """Two web servers on one Redis (REDIS_URL): a guesser who alternates between them still
    meets one limit, and the window's end lifts it for both."""
    from market.throttles import Throttles

    app.config["THROTTLE_ORDER_LOOKUP"] = "3 per 2 seconds"
    first, second = Throttles("redis://127.0.0.1:6379/14"), Throttles("redis://127.0.0.1:6379/14")
    first.reset()
    guesser = {"REMOTE_ADDR": "203.0.113.9"}
    with app.test_request_context("/orders/lookup", method="POST", environ_base=guesser):
        waits = [server.seconds_blocked("orders.lookup") for server in (first, second, first, second)]
        assert waits[:3] == [0, 0, 0] and 1 <= waits[3] <= 2
        time.sleep(2.1)
        assert second.seconds_blocked("orders.lookup") == 0
    first.reset()


def test_with_their_redis_down_the_throttles_fail_open_and_say_so_in_the_log(app, client, make, caplog):
    from limits.storage import storage_from_string
    from limits.strategies import FixedWindowRateLimiter

    throttles = app.extensions["throttles"]
    throttles.storage = storage_from_string("redis://127.0.0.1:1/0")  # nothing listens
    throttles.strategy = FixedWindowRateLimiter(throttles.storage)
    app.config["THROTTLE_LOGIN_ACCOUNT"] = "1 per 1 hour"
    user = make.user()
    assert client.get("/search?q=tea").status_code == 200
    for _ in range(3):  # not counted, so never stopped: the site works while Redis is away
        assert _wrong_login(client, user.email).status_code == 400
    assert "throttle accounts.login not checked" in caplog.text


@pytest.mark.parametrize("proxies", [0, 1])
def test_behind_a_proxy_each_client_is_counted_by_its_forwarded_address(app, proxies):
    """nginx in front (docs/deploy.md): with TRUSTED_PROXIES=1 the address is the client's from
    X-Forwarded-For; with 0 (the default) a forged header changes nothing."""
    from market import create_app

    settings = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS",
                                                 "UPLOAD_ROOT", "SEARCH_INDEX_DIR", "INSTANCE_DIR")}
    served = create_app({**settings, "TESTING": True, "RATELIMIT_ENABLED": True, "TRUSTED_PROXIES": proxies,
                         "THROTTLE_SEARCH": "2 per 1 hour"})
    client = served.test_client()

    def search(address):
        return client.get("/search?q=tea", headers={"X-Forwarded-For": address}).status_code

    assert [search("203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert search("198.51.100.9") == (200 if proxies else 429)  # another client, or the same proxy
