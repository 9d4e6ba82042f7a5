"""Prometheus metrics: requests by route and status with latencies, cache lookups by family, checkouts
by outcome, live-stock refills.

Off unless METRICS_ENABLED (then `enable()` runs once per process and every call below counts; while
off they cost one global check). Under gunicorn set PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py does
when metrics are on): each worker writes its values to files there and /metrics adds them up
(prometheus-client's multiprocess mode). The directory must exist and be emptied before the server starts.
"""

from __future__ import annotations

import os
from typing import Any

_state: dict[str, Any] = {}

# Seconds; a cached read is ~1-10 ms here, an uncached list 10-200 ms, a checkout 50-300 ms.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def enable() -> None:
    """Create the metrics (once per process)."""
    if _state:
        return
    from prometheus_client import Counter, Histogram

    _state.update(
        requests=Counter("http_requests_total", "HTTP requests by route and status.", ["method", "route", "status"]),
        latency=Histogram(
            "http_request_duration_seconds",
            "Time to answer, by route.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
        ),
        cache=Counter("cache_lookups_total", "Cached reads by family and result (hit or miss).", ["family", "result"]),
        refills=Counter(
            "cache_stock_refills_total", "Products whose live stock a cache hit read from PostgreSQL.", ["family"]
        ),
        checkouts=Counter(
            "checkouts_total", "Checkouts by outcome (created, replayed, or the problem code).", ["outcome"]
        ),
        children={},
    )


def enabled() -> bool:
    return bool(_state)


def _child(metric: str, *labels: str) -> Any:
    children: dict[tuple[str, ...], Any] = _state["children"]
    key = (metric, *labels)
    child = children.get(key)
    if child is None:
        child = children[key] = _state[metric].labels(*labels)
    return child


def request_done(method: str, route: str, status: int, seconds: float) -> None:
    if _state:
        _child("requests", method, route, str(status)).inc()
        _child("latency", method, route).observe(seconds)


def cache_lookup(family: str, *, hit: bool) -> None:
    if _state:
        _child("cache", family, "hit" if hit else "miss").inc()


def stock_refills(family: str, count: int) -> None:
    if _state and count:
        _child("refills", family).inc(count)


def checkout_done(outcome: str) -> None:
    if _state:
        _child("checkouts", outcome).inc()


def render() -> tuple[bytes, str]:
    """The Prometheus text exposition of every metric (of every worker in multiprocess mode)."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
