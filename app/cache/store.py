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
    """One app's memory of its last cache failure (per process; each app has its own)."""

    def __init__(self, retry_after: float, warn_every: float) -> None:
        self.retry_after = retry_after
        self.warn_every = warn_every
        self.open_until = 0.0
        self.last_warning = -float("inf")
        # Generation bumps that failed: replayed before the next read, so a write made while Redis
        # was unreachable cannot leave entries cached before the outage looking current afterwards.
        self.pending_incr: set[str] = set()

    def call(self, operation: str, fn: Callable[[], T], fallback: T) -> T:
        now = time.monotonic()
        if now < self.open_until:
            return fallback
        try:
            return fn()
        except Exception as exc:  # any backend error: the cache is an optimisation
            self.open_until = now + self.retry_after
            if now - self.last_warning >= self.warn_every:
                self.last_warning = now
                log.warning(
                    "cache unavailable during %s (%s: %s); serving without it for %.0fs",
                    operation,
                    type(exc).__name__,
                    exc,
                    self.retry_after,
                )
            return fallback


def _breaker() -> _Breaker:
    breaker = current_app.extensions.get("cache_breaker")
    if breaker is None:
        breaker = _Breaker(
            float(current_app.config.get("CACHE_RETRY_AFTER_SECONDS", RETRY_AFTER_SECONDS)),
            float(current_app.config.get("CACHE_WARN_EVERY_SECONDS", WARN_EVERY_SECONDS)),
        )
        current_app.extensions["cache_breaker"] = breaker
    return breaker


def get(key: str) -> Any:
    return _breaker().call("get", lambda: cache.get(key), None)


def get_many(*keys: str) -> list[Any]:
    breaker = _breaker()
    if breaker.pending_incr:
        _replay_increments(breaker)
    return breaker.call("get_many", lambda: list(cache.get_many(*keys)), [None] * len(keys))


def put(key: str, value: Any, ttl: int) -> None:
    _breaker().call("set", lambda: cache.set(key, value, timeout=ttl), None)


def add(key: str, value: Any) -> None:
    _breaker().call("add", lambda: cache.add(key, value, timeout=0), None)


def incr(key: str) -> None:
    breaker = _breaker()
    if breaker.call("incr", lambda: cache.cache.inc(key), None) is None:
        breaker.pending_incr.add(key)


def _replay_increments(breaker: _Breaker) -> None:
    for key in sorted(breaker.pending_incr):
        if breaker.call("incr", lambda: cache.cache.inc(key), None) is None:  # noqa: B023 - called at once
            return
        breaker.pending_incr.discard(key)
        log.debug("replayed the generation bump of %s after a cache outage", key)


def status() -> str:
    """ "ok", "error" (backend unreachable) or "disabled" (NullCache), checked for real."""
    if current_app.config["CACHE_TYPE"] in {"NullCache", "null"}:
        return "disabled"
    try:
        cache.get("health-probe")
    except Exception:
        return "error"
    _breaker().open_until = 0.0  # it answers again: stop skipping it
    return "ok"
