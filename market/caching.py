"""Caches every web server and worker agrees on (Flask-Caching).

REDIS_URL set (several servers): one Redis cache shared by all, so forgetting a value in the
process that changed it forgets it everywhere. Unset (`make run`, one process): a SimpleCache in
memory. The keys carry CACHE_NAMESPACE (default: a digest of the database URL), so two markets
on one Redis never mix.
When Redis cannot be reached a cache read is a miss and a write is skipped (logged): pages are
computed from the database instead of failing.

Only caches whose values can change belong here; caches of what never changes while a process
runs (the search lexicon, formatted money, translations) stay per process.
"""

from __future__ import annotations

import hashlib
import logging
import uuid

from flask import Flask, current_app
from flask_caching import Cache

log = logging.getLogger(__name__)
cache = Cache()


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL") or ""
    digest = app.config.get("CACHE_NAMESPACE") or ""
    if not digest:
        database = str(app.config.get("SQLALCHEMY_DATABASE_URI", ""))
        options = str(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("connect_args", ""))
        digest = hashlib.sha256(f"{database} {options}".encode()).hexdigest()[:12]
        if app.testing:  # each test's app starts from an empty cache, even on a shared Redis
            digest += "-" + uuid.uuid4().hex[:8]
    if url:
        settings = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url,
                    "CACHE_KEY_PREFIX": f"market:cache:{digest}:",
                    "CACHE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}
    else:
        settings = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 1000}
    cache.init_app(app, config={**settings, "CACHE_DEFAULT_TIMEOUT": 300})


def kind() -> str:
    """"redis" or "simple" (shown by /healthz)."""
    backend = current_app.extensions["cache"][cache]
    return "redis" if type(backend).__name__ == "RedisCache" else "simple"


def get(key: str):
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - Redis down: a miss
        log.warning("cache: cannot read %s", key, exc_info=True)
        return None


def set(key: str, value, timeout: int) -> None:  # noqa: A001 - the cache's own word
    try:
        cache.set(key, value, timeout=timeout)
    except Exception:  # noqa: BLE001 - Redis down: not kept
        log.warning("cache: cannot write %s", key, exc_info=True)


def forget(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:  # noqa: BLE001 - Redis down: its values end with their timeout
        log.warning("cache: cannot forget %s", key, exc_info=True)
