"""app.cache: keys with generations, and the store that fails open behind a per-app breaker."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from flask import Flask

from app.cache import keys, store
from app.cache.store import _Breaker

pytestmark = pytest.mark.cache


def test_list_keys_ignore_parameter_order(app_context: None) -> None:
    assert keys.catalog_list({"page": 2, "per_page": 20}) == keys.catalog_list({"per_page": 20, "page": 2})


def test_list_keys_differ_per_query(app_context: None) -> None:
    assert keys.catalog_list({"page": 1}) != keys.catalog_list({"page": 2})


def generation(*families: str) -> str | None:
    return store.read(keys.generation_keys(*families), "no-such-entry").generations


def test_a_bump_changes_the_generation_every_catalog_entry_is_checked_against(app_context: None) -> None:
    before = generation(keys.CATALOG)

    keys.bump(keys.CATALOG)

    assert generation(keys.CATALOG) != before


def test_a_catalog_bump_also_changes_cart_totals(app_context: None) -> None:
    before = generation(*keys.cart_total(1).families)

    keys.bump(keys.CATALOG)

    assert generation(*keys.cart_total(1).families) != before


def test_a_lost_generation_restarts_above_any_old_one(app_context: None, redis_db) -> None:  # type: ignore[no-untyped-def]
    old = generation(keys.CATALOG)
    for _ in range(5):
        keys.bump(keys.CATALOG)
    bumped = generation(keys.CATALOG)
    redis_db.delete(keys.generation_key(keys.CATALOG))  # eviction of that key alone

    restarted = generation(keys.CATALOG)

    assert old is not None and bumped is not None and restarted is not None
    assert int(restarted) > int(bumped) > int(old)


def test_a_bump_of_a_missing_generation_starts_above_any_old_one(app_context: None, redis_db) -> None:  # type: ignore[no-untyped-def]
    old = generation(keys.CATALOG)
    redis_db.delete(keys.generation_key(keys.CATALOG))

    keys.bump(keys.CATALOG)  # the write path: INCR would have restarted at 1

    assert int(generation(keys.CATALOG) or 0) > int(old or 0)


class Boom(Exception):
    pass


def failing() -> str:
    raise Boom("backend down")


def test_the_breaker_answers_the_fallback_when_the_backend_fails() -> None:
    assert _Breaker(5, 30).call("get", failing, "fallback") == "fallback"


def test_the_breaker_skips_the_backend_during_its_window() -> None:
    breaker = _Breaker(60, 30)
    breaker.call("get", failing, None)
    calls: list[int] = []

    breaker.call("get", lambda: calls.append(1), None)

    assert calls == []


def test_the_breaker_tries_again_after_its_window(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(store.time, "monotonic", lambda: clock[0])
    breaker = _Breaker(5, 30)
    breaker.call("get", failing, None)
    clock[0] += 5.1

    assert breaker.call("get", lambda: "back", None) == "back"


def test_the_breaker_warns_at_most_once_per_period(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clock = [100.0]
    monkeypatch.setattr(store.time, "monotonic", lambda: clock[0])
    logger = logging.getLogger("app.cache")
    logger.addHandler(caplog.handler)
    breaker = _Breaker(0, 30)
    try:
        for _ in range(10):
            breaker.call("get", failing, None)
            clock[0] += 1
        clock[0] += 30
        breaker.call("get", failing, None)
    finally:
        logger.removeHandler(caplog.handler)

    warnings = {id(r) for r in caplog.records if r.name == "app.cache" and r.levelno == logging.WARNING}
    assert len(warnings) == 2


def test_each_app_has_its_own_breaker(make_app: Callable[..., Flask], app: Flask) -> None:
    dead = make_app(CACHE_REDIS_URL="redis://127.0.0.1:1/0")
    with dead.app_context():
        store.get("anything")  # fails and opens the dead app's breaker
    with app.app_context():
        store.put("still-cached", b"yes", 10)

        assert store.get("still-cached") == b"yes"


def test_bump_never_raises_when_redis_is_down(make_app: Callable[..., Flask]) -> None:
    with make_app(CACHE_REDIS_URL="redis://127.0.0.1:1/0").app_context():
        keys.bump(keys.CATALOG)

        assert generation(keys.CATALOG) is None  # unknown: nothing is stored or served from the cache
