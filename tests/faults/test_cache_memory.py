"""The cache's Redis and its memory limit: a warning at startup when there is none."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
import redis
from flask import Flask

from tests.faults.conftest import OwnRedis

pytestmark = pytest.mark.cache


@pytest.fixture
def cache_warnings(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    logger = logging.getLogger("app.cache")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


def memory_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    unique = {id(r): r for r in caplog.records if r.name == "app.cache" and r.levelno == logging.WARNING}
    return [r.getMessage() for r in unique.values() if "no memory limit" in r.getMessage()]


def test_a_cache_redis_without_maxmemory_is_warned_about_once(
    make_app: Callable[..., Flask], own_redis: OwnRedis, cache_warnings: pytest.LogCaptureFixture
) -> None:
    make_app(CACHE_REDIS_URL=own_redis.url)
    make_app(CACHE_REDIS_URL=own_redis.url)  # a second app in the same process: no second warning

    assert len(memory_warnings(cache_warnings)) == 1
    assert "maxmemory" in memory_warnings(cache_warnings)[0]


def test_a_cache_redis_with_maxmemory_is_not_warned_about(
    make_app: Callable[..., Flask], own_redis: OwnRedis, cache_warnings: pytest.LogCaptureFixture
) -> None:
    client = redis.Redis.from_url(own_redis.url)
    client.config_set("maxmemory", "64mb")
    client.config_set("maxmemory-policy", "allkeys-lru")
    client.close()

    make_app(CACHE_REDIS_URL=own_redis.url)

    assert memory_warnings(cache_warnings) == []


def test_entries_evicted_with_their_generation_are_rebuilt_not_mixed(
    make_app: Callable[..., Flask], own_redis: OwnRedis
) -> None:
    from app.cache import entries, keys, store

    app = make_app(CACHE_REDIS_URL=own_redis.url)
    with app.app_context():
        key = keys.product_detail(1)
        first = store.read(keys.generation_keys(*key.families), key.key)
        assert first.generations is not None
        store.put(key.key, entries.encode(first.generations, entries.Entry([], "e", b"{}")), 60)
        assert store.read(keys.generation_keys(*key.families), key.key).entry is not None
        redis.Redis.from_url(own_redis.url).delete(keys.generation_key(keys.CATALOG))  # evicted alone

        again = store.read(keys.generation_keys(*key.families), key.key)

        assert again.entry is None
        assert int(again.generations or 0) > int(first.generations)
