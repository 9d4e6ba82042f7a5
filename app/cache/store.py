"""Cache calls that never fail a request: errors are logged (rate-limited) and Redis is
skipped for a few seconds after a failure, so a dead Redis costs one short timeout, not one per call."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app

from app.extensions import cache

log = logging.getLogger("app.cache")
T = TypeVar("T")

RETRY_AFTER_SECONDS = 5.0
WARN_EVERY_SECONDS = 30.0


class _Breaker:
    """Per-process memory of the last cache failure."""

    open_until = 0.0
    last_warning = 0.0

    @classmethod
    def call(cls, operation: str, fn: Callable[[], T], fallback: T) -> T:
        now = time.monotonic()
        if now < cls.open_until:
            return fallback
        try:
            return fn()
        except Exception as exc:  # any backend error: the cache is an optimisation
            cls.open_until = now + RETRY_AFTER_SECONDS
            if now - cls.last_warning >= WARN_EVERY_SECONDS:
                cls.last_warning = now
                log.warning(
                    "cache unavailable during %s (%s: %s); serving without it for %.0fs",
                    operation,
                    type(exc).__name__,
                    exc,
                    RETRY_AFTER_SECONDS,
                )
            return fallback


def get(key: str) -> Any:
    return _Breaker.call("get", lambda: cache.get(key), None)


def get_many(*keys: str) -> list[Any]:
    return _Breaker.call("get_many", lambda: list(cache.get_many(*keys)), [None] * len(keys))


def set(key: str, value: Any, ttl: int) -> None:  # noqa: A001 - mirrors the cache API
    _Breaker.call("set", lambda: cache.set(key, value, timeout=ttl), None)


def add(key: str, value: Any) -> None:
    _Breaker.call("add", lambda: cache.add(key, value, timeout=0), None)


def incr(key: str) -> None:
    _Breaker.call("incr", lambda: cache.cache.inc(key), None)


def reset() -> None:
    """Forget past failures: the next call tries the backend again."""
    _Breaker.open_until = 0.0


def status() -> str:
    """ "ok", "error" (backend unreachable) or "disabled" (NullCache), checked for real."""
    if current_app.config["CACHE_TYPE"] in {"NullCache", "null"}:
        return "disabled"
    try:
        cache.get("health-probe")
    except Exception:
        return "error"
    reset()  # it answers again: stop skipping it
    return "ok"
