"""Redis stops and comes back: the API keeps answering, health reports it, caching resumes."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from flask import Flask

from app.cache import store
from tests.faults.conftest import OwnRedis

pytestmark = pytest.mark.cache


def test_health_follows_redis_down_and_back(make_app: Callable[..., Flask], own_redis: OwnRedis) -> None:
    app = make_app(CACHE_REDIS_URL=own_redis.url)
    client = app.test_client()
    assert client.get("/api/health").get_json()["cache"] == "ok"

    own_redis.kill()
    started = time.monotonic()
    down = client.get("/api/health")
    assert time.monotonic() - started < 1.0
    assert down.status_code == 200
    assert down.get_json() == {"status": "degraded", "database": "ok", "cache": "error"}

    own_redis.start()
    assert client.get("/api/health").get_json()["cache"] == "ok"


def test_cache_calls_fail_fast_while_redis_is_down(make_app: Callable[..., Flask], own_redis: OwnRedis) -> None:
    app = make_app(CACHE_REDIS_URL=own_redis.url)
    own_redis.kill()
    with app.app_context():
        started = time.monotonic()
        for _ in range(50):
            assert store.get("anything") is None
            store.put("anything", 1, 60)
        # One short timeout at most, then the breaker skips Redis: not 100 timeouts.
        assert time.monotonic() - started < 1.0
