"""Caches every server agrees on (market/caching.py): the browse page's list of places.

Two apps on one database stand for two web servers. With REDIS_URL they share the cache, so a
home added through one is in the other's list at once; without it each keeps its own (one
server, `make run`). Redis database 10 is this test's own."""

import uuid

import pytest
import redis

from market import caching, create_app
from market.catalog import service
from models import Home, db

REDIS = "redis://127.0.0.1:6379/10"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _twin(app, **settings):
    """Another app (another server) on the same database."""
    keys = ("SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS", "UPLOAD_ROOT", "SEARCH_INDEX_DIR",
            "INSTANCE_DIR", "SECRET_KEY", "JOBS_IMMEDIATE", "RATELIMIT_ENABLED")
    return create_app({"TESTING": True, **{k: app.config[k] for k in keys}, **settings})


def _counties(app) -> set[str]:
    with app.app_context():
        return {row[2] for row in service.regions()}


def test_without_redis_each_server_keeps_its_own_simple_cache(app, make):
    make.home(county_zh="泾县")
    assert caching.kind() == "simple"
    assert "泾县" in {row[2] for row in service.regions()}
    make.home(county_zh="安吉县")  # in this process: forgotten at once
    assert "安吉县" in {row[2] for row in service.regions()}


@pytest.mark.skipif(not _redis_up(), reason="needs Redis at 127.0.0.1:6379")
def test_a_home_changed_on_one_server_is_in_the_places_of_the_other_at_once(app, make):
    namespace = uuid.uuid4().hex
    first = _twin(app, REDIS_URL=REDIS, CACHE_NAMESPACE=namespace)
    second = _twin(app, REDIS_URL=REDIS, CACHE_NAMESPACE=namespace)
    alone = _twin(app, REDIS_URL="", CACHE_NAMESPACE=namespace)  # a server with its own cache
    home_id = make.home(county_zh="泾县").id
    db.session.commit()
    with second.app_context():
        assert caching.kind() == "redis"
    assert _counties(second) == {"泾县"} == _counties(alone)  # both keep it for a minute
    with first.app_context():
        db.session.get(Home, home_id).county_zh = "安吉县"
        db.session.commit()
    assert _counties(second) == {"安吉县"}
    assert _counties(alone) == {"泾县"}  # what a second server did before: stale for a minute
    client = redis.Redis.from_url(REDIS)
    client.delete(*client.keys(f"market:cache:{namespace}:*") or ["-"])


def test_with_redis_down_the_places_come_from_the_database(app, make):
    down = _twin(app, REDIS_URL="redis://127.0.0.1:1/0")
    make.home(county_zh="泾县")
    assert _counties(down) == {"泾县"}
