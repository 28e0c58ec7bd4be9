"""Throttles on what a guesser or a bot would repeat: logging in (per account and per address),
signing up, looking up a guest order by reference and phone, pledging donations, and searching.

Built on `limits` (the engine of Flask-Limiter) with a fixed window per key; counts live in
Redis when REDIS_URL is set, in memory otherwise (one process: enough for one small server;
several processes each count on their own). Each limit is a setting ("10 per 15 minutes"),
read at each request. When Redis cannot be reached the throttles fail open (the request goes on,
a warning is logged): a queue or cache outage must not turn into error pages.
"""

import logging
import math
import time

from flask import Flask, current_app, request
from flask_babel import gettext as _
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger(__name__)


def _address() -> str:
    return request.remote_addr or "?"


def _account() -> str:
    """The account a login tries (normalised as typed), so guesses from many addresses still
    meet one limit."""
    from market.accounts.service import normalize_identifier

    email, phone = normalize_identifier(request.form.get("identifier", "")[:254])
    return email or phone or "?"


# endpoint -> [(setting holding the limit, what is counted)]
LIMITS = {
    "accounts.login": [("THROTTLE_LOGIN_ACCOUNT", _account), ("THROTTLE_LOGIN_ADDRESS", _address)],
    "accounts.signup": [("THROTTLE_SIGNUP", _address)],
    "orders.lookup": [("THROTTLE_ORDER_LOOKUP", _address)],
    "fund.donate": [("THROTTLE_DONATE", _address)],
    "search.search": [("THROTTLE_SEARCH", _address)],
}
READS = {"search.search"}  # every other throttle counts POSTs only


class Throttles:
    def __init__(self, uri: str):
        self.storage = storage_from_string(uri)
        self.strategy = FixedWindowRateLimiter(self.storage)

    def reset(self) -> None:
        self.storage.reset()

    def seconds_blocked(self, endpoint: str) -> int:
        """0 when this request may go on (and it is counted), else the seconds to wait."""
        for setting, counted in LIMITS[endpoint]:
            item = parse(current_app.config[setting])
            key = (endpoint, setting, counted())
            if not self.strategy.hit(item, *key):
                reset_at = self.strategy.get_window_stats(item, *key).reset_time
                return max(1, math.ceil(reset_at - time.time()))
        return 0


def init_app(app: Flask) -> None:
    throttles = Throttles(app.config["REDIS_URL"] or "memory://")
    app.extensions["throttles"] = throttles

    @app.before_request
    def _throttle():
        endpoint = request.endpoint
        if not app.config["RATELIMIT_ENABLED"] or endpoint not in LIMITS:
            return None
        if endpoint not in READS and request.method != "POST":
            return None
        try:
            wait = throttles.seconds_blocked(endpoint)
        except Exception:  # noqa: BLE001 - the counts' store (Redis) is down: fail open, logged
            log.warning("throttle %s not checked: its store is unavailable", endpoint, exc_info=True)
            return None
        if not wait:
            return None
        from market.errors import render_error

        minutes = math.ceil(wait / 60)
        page, _status = render_error(429, _("Too many tries. Please try again in %(minutes)d minutes.",
                                            minutes=minutes))
        return page, 429, {"Retry-After": str(wait)}
