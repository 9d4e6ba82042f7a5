"""The fixed cost of a request, in CPU time: robust on a shared machine, where requests/s are not.

Runs the app in-process (no gunicorn, no network for HTTP) against the benchmark database and Redis, and
times N requests of each kind with time.process_time, best of several rounds, the variants interleaved.
Also times the cache read alone: the old two GETs against the one-round-trip script. `make bench` runs it;
`python bench/run.py --profile` runs only it and writes RESULTS.md again.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROUNDS = 5
REQUESTS = 800


def _caller(app: Any) -> Callable[[str, int], None]:
    from werkzeug.test import EnvironBuilder

    def call(path: str, n: int) -> None:
        environ = EnvironBuilder(path=path, headers={"X-Forwarded-For": f"10.1.{n % 250}.{n % 200}"}).get_environ()
        status: list[str] = []
        body = app(environ, lambda s, h, e=None: status.append(s))
        b"".join(body)
        assert status[0].startswith("200"), (path, status)

    return call


def _best(variants: dict[str, Callable[[int], None]]) -> dict[str, float]:
    """Microseconds of CPU per call, best round of each, rounds interleaved across the variants."""
    best = {name: float("inf") for name in variants}
    for fn in variants.values():
        fn(0)
    for _ in range(ROUNDS):
        for name, fn in variants.items():
            started = time.process_time()
            for i in range(REQUESTS):
                fn(i)
            best[name] = min(best[name], 1e6 * (time.process_time() - started) / REQUESTS)
    return best


def _app(environ: dict[str, str]) -> Any:
    os.environ.update(environ)
    from app import create_app

    return create_app()


def cpu_per_request(environ: dict[str, str], limited: dict[str, str]) -> dict[str, float]:
    import bare

    base = environ | {"LOG_REQUESTS": "false", "PROXY_HOPS": "1", "RATELIMIT_ENABLED": "false"}
    app = _app(base)
    call, bare_call = _caller(app), _caller(bare.app)
    paths = {
        "bare Flask (one JSON route)": lambda i: bare_call("/", i),
        "floor (GET /api/health/live)": lambda i: call("/api/health/live", i),
        "cached list, canonical query": lambda i: call("/api/products?page=1&per_page=20", i),
        "cached list, parsed first": lambda i: call("/api/products?min_price=1.00", i),
        "cached detail": lambda i: call("/api/products/500", i),
        "floor + one log line per request": lambda i: _logged(app, call, "/api/health/live", i),
    }
    result = _best(paths)
    from app.extensions import limiter

    app_limited = _app(base | limited)
    limited_call = _caller(app_limited)
    result |= _best(
        {
            "floor, rate limits on": lambda i: limited_call("/api/health/live", i),
            "cached list, rate limits on": lambda i: limited_call("/api/products?page=1&per_page=20", i),
        }
    )
    limiter.enabled = False
    return result


def checkout_pairs(environ: dict[str, str], users: Path, pairs: int = 300) -> dict[str, float]:
    """CPU microseconds per add-to-cart + checkout pair, one buyer after another (no wrk, no gunicorn): the
    app's (time.process_time) and that of the PostgreSQL backends serving it (/proc), best of 3 rounds."""
    from werkzeug.test import EnvironBuilder

    app = _app(environ | {"LOG_REQUESTS": "false", "RATELIMIT_ENABLED": "false"})
    buyers = [line.split("\t") for line in users.read_text().splitlines()]

    def call(path: str, token: str, body: dict[str, int]) -> None:
        environ = EnvironBuilder(
            method="POST", path=path, headers={"Authorization": f"Bearer {token}"}, json=body
        ).get_environ()
        status: list[str] = []
        b"".join(app(environ, lambda s, h, e=None: status.append(s)))
        assert status[0].startswith("201"), (path, status)

    def pair(i: int) -> None:
        token, address = buyers[i % len(buyers)]
        call("/api/sales/cart/items", token, {"product_id": 1 + (i * 7919) % 1000, "quantity": 1})
        call("/api/sales/checkout", token, {"delivery_address_id": int(address)})

    for i in range(len(buyers)):  # each token verified once, as a long-running worker has
        pair(i)
    backends = _backend_pids(app)
    app_cpu = pg_cpu = float("inf")
    for _ in range(3):
        started, pg_started = time.process_time(), _cpu_seconds(backends)
        for i in range(pairs):
            pair(i)
        app_cpu = min(app_cpu, 1e6 * (time.process_time() - started) / pairs)
        pg_cpu = min(pg_cpu, 1e6 * (_cpu_seconds(backends) - pg_started) / pairs)
    return {
        "checkout pair (add to cart, then check out), the app's CPU": app_cpu,
        "checkout pair, CPU of the PostgreSQL backend serving it": pg_cpu,
    }


def _backend_pids(app: Any) -> set[int]:
    """The PostgreSQL backend processes of the app's connection pool."""
    from app.extensions import db

    with app.app_context():
        connections = [db.engine.raw_connection() for _ in range(3)]
        pids = set()
        for connection in connections:
            cursor = connection.cursor()
            cursor.execute("SELECT pg_backend_pid()")
            pids.add(cursor.fetchone()[0])
            connection.close()
    return pids


def _cpu_seconds(pids: set[int]) -> float:
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _logged(app: Any, call: Callable[[str, int], None], path: str, i: int) -> None:
    app.config["LOG_REQUESTS"] = True
    try:
        call(path, i)
    finally:
        app.config["LOG_REQUESTS"] = False


def redis_reads(url: str, prefix: str) -> dict[str, float]:
    """CPU and wall microseconds of one cached read of a 20-product page, as it was and as it is."""
    import redis

    from app.cache.backend import RedisBackend
    from app.cache.keys import _digest

    client = redis.Redis.from_url(url)
    backend = RedisBackend(url)
    entry = f"{prefix}e:catalog:list:{_digest('')}"  # the first page, cached by the runs before
    raw = client.get(entry) or b"E1\n\n\n\n"
    stock_keys = [f"{prefix}stock:{i}" for i in raw.split(b"\n", 3)[2].decode().split(",") if i]
    generation = f"{prefix}g:catalog"

    def two_reads() -> None:  # generation, then entry and the listed products' stock
        _, body = client.mget(generation, entry)
        client.mget(stock_keys)

    reads: dict[str, Callable[[], Iterable[Any] | None]] = {
        "generation, then entry (before: 2 round trips, no live stock)": lambda: (
            client.get(generation),
            client.get(entry),
        ),
        "entry, then its 20 stock values (2 round trips)": two_reads,
        "one script: generations, entry, 20 stock values (1 round trip)": lambda: backend.read(
            [generation], entry, f"{prefix}stock:"
        ),
    }
    cpu = {name: float("inf") for name in reads}
    wall = dict(cpu)
    for read in reads.values():
        read()
    for _ in range(ROUNDS):
        for name, read in reads.items():
            cpu_started, wall_started = time.process_time(), time.perf_counter()
            for _ in range(REQUESTS):
                read()
            cpu[name] = min(cpu[name], 1e6 * (time.process_time() - cpu_started) / REQUESTS)
            wall[name] = min(wall[name], 1e6 * (time.perf_counter() - wall_started) / REQUESTS)
    client.close()
    return {f"cache read: {name}, CPU": v for name, v in cpu.items()} | {
        f"cache read: {name}, wall": v for name, v in wall.items()
    }
