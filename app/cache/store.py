"""Cache calls that never fail a request: errors are logged (rate-limited) and Redis is skipped for a few
seconds after a failure, so a dead Redis costs one short timeout, not one per call.

The backend (app/cache/backend.py) is chosen by CACHE_TYPE: RedisCache (a plain redis-py client on
CACHE_REDIS_URL), SimpleCache (an in-process dict, the embedded default) or NullCache (off).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from flask import Flask, current_app

from app.cache.backend import Backend, MemoryBackend, NullBackend, Read, RedisBackend
from app.config import REDIS_SOCKET_OPTIONS

log = logging.getLogger("app.cache")
T = TypeVar("T")

RETRY_AFTER_SECONDS = 5.0
WARN_EVERY_SECONDS = 30.0
_UNKNOWN = Read(None, None, [])
_warned_about_memory: set[str] = set()


class _Breaker:
    """One app's memory of its last cache failure (per process; each app has its own)."""

    def __init__(self, retry_after: float, warn_every: float) -> None:
        self.retry_after = retry_after
        self.warn_every = warn_every
        self.open_until = 0.0
        self.last_warning = -float("inf")
        # Generation bumps and stock invalidations that failed: replayed before the next read, so a
        # write made while Redis was unreachable cannot leave older entries looking current afterwards.
        self.pending_bumps: set[str] = set()
        self.pending_stale: dict[str, int] = {}

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


def make_backend(app: Flask) -> Backend:
    kind = app.config["CACHE_TYPE"]
    if kind in {"NullCache", "null"}:
        return NullBackend()
    if kind in {"RedisCache", "redis"}:
        return RedisBackend(app.config["CACHE_REDIS_URL"], **REDIS_SOCKET_OPTIONS)
    return MemoryBackend(int(app.config.get("CACHE_MEMORY_MAX_ENTRIES", 2000)))


def init_app(app: Flask) -> None:
    """Bind a backend and a breaker to `app`; warn once per process when the cache's Redis has no memory limit."""
    backend = make_backend(app)
    app.extensions["cache_store"] = backend
    app.extensions["cache_breaker"] = _Breaker(
        float(app.config.get("CACHE_RETRY_AFTER_SECONDS", RETRY_AFTER_SECONDS)),
        float(app.config.get("CACHE_WARN_EVERY_SECONDS", WARN_EVERY_SECONDS)),
    )
    if isinstance(backend, RedisBackend) and app.config.get("CACHE_CHECK_MAXMEMORY", True):
        warn_without_memory_limit(app.config["CACHE_REDIS_URL"], backend)


def warn_without_memory_limit(url: str, backend: RedisBackend) -> None:
    """One warning per process and URL when maxmemory is 0 (a cache with no bound can starve rate limits)."""
    where = url.split("@")[-1]
    if where in _warned_about_memory:
        return
    try:
        limit = backend.max_memory()
    except Exception as exc:  # unreachable at startup: the breaker handles it later
        log.info("cache Redis %s not checked for maxmemory (%s)", where, type(exc).__name__)
        return
    _warned_about_memory.add(where)
    if limit == 0:
        log.warning(
            "cache Redis %s has no memory limit (maxmemory 0): set maxmemory and maxmemory-policy "
            "allkeys-lru (a cache-only instance) or volatile-lru; see README, Caching",
            where,
        )


def _backend() -> Backend:
    backend: Backend = current_app.extensions["cache_store"]
    return backend


def _breaker() -> _Breaker:
    breaker: _Breaker = current_app.extensions["cache_breaker"]
    return breaker


def read(generation_keys: Sequence[str], entry_key: str, stock_prefix: str = "") -> Read:
    """The families' generations, the entry if it was made under them, and the stock it lists: one round trip."""
    backend, breaker = _backend(), _breaker()
    if breaker.pending_bumps or breaker.pending_stale:
        _replay(backend, breaker)
    return breaker.call("read", lambda: backend.read(generation_keys, entry_key, stock_prefix), _UNKNOWN)


def get(key: str) -> bytes | None:
    backend = _backend()
    return _breaker().call("get", lambda: backend.get(key), None)


def put(key: str, value: bytes, ttl: int) -> None:
    backend = _backend()
    _breaker().call("set", lambda: backend.put(key, value, ttl), None)


def _done(action: Callable[[], None]) -> Callable[[], bool]:
    def run() -> bool:
        action()
        return True

    return run


def bump(generation_keys: Sequence[str]) -> None:
    backend, breaker = _backend(), _breaker()
    if not breaker.call("bump", _done(lambda: backend.bump(generation_keys)), False):
        breaker.pending_bumps.update(generation_keys)


def mark_stale(keys: Sequence[str], ttl: int) -> None:
    backend, breaker = _backend(), _breaker()
    if not breaker.call("mark_stale", _done(lambda: backend.mark_stale(keys, ttl)), False):
        breaker.pending_stale.update(dict.fromkeys(keys, ttl))


def refill(keys: Sequence[str], seen: Sequence[bytes | None], values: Sequence[bytes], ttl: int) -> None:
    backend = _backend()
    _breaker().call("refill", lambda: backend.refill(keys, seen, values, ttl), None)


def add_many(items: dict[str, bytes], ttl: int) -> None:
    backend = _backend()
    _breaker().call("add_many", lambda: backend.add_many(items, ttl), None)


def _replay(backend: Backend, breaker: _Breaker) -> None:
    if breaker.pending_stale:
        stale = dict(breaker.pending_stale)
        if not breaker.call("mark_stale", _done(lambda: backend.mark_stale(list(stale), max(stale.values()))), False):
            return
        for key in stale:
            breaker.pending_stale.pop(key, None)
    if breaker.pending_bumps:
        bumps = sorted(breaker.pending_bumps)
        if not breaker.call("bump", _done(lambda: backend.bump(bumps)), False):
            return
        breaker.pending_bumps.difference_update(bumps)
        log.debug("replayed the generation bumps of %s after a cache outage", ", ".join(bumps))


def status() -> str:
    """ "ok", "error" (backend unreachable) or "disabled" (NullCache), checked for real."""
    backend = _backend()
    if isinstance(backend, NullBackend):
        return "disabled"
    try:
        backend.ping()
    except Exception:
        return "error"
    _breaker().open_until = 0.0  # it answers again: stop skipping it
    return "ok"
