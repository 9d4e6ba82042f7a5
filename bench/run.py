"""`make bench`: seed a dedicated PostgreSQL database, serve the app with gunicorn, drive it with wrk,
and write bench/RESULTS.md (requests/s, p50/p99, SQL statements per request, errors, worker memory)."""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
PYTHON = sys.executable
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql://ecommerce_user:ecommerce_2024_secure@127.0.0.1:5432/ecommerce_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
PORT = int(os.environ.get("BENCH_PORT", "5055"))
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))
RUNS = int(os.environ.get("BENCH_RUNS", "2"))
# BENCH_ONLY="checkout": run only the scenarios whose name contains it, print them, leave RESULTS.md alone.
ONLY = os.environ.get("BENCH_ONLY", "")
# BENCH_NO_SEED=1 reuses the seeded database (only with BENCH_ONLY; a full run always seeds afresh).
NO_SEED = os.environ.get("BENCH_NO_SEED", "") == "1"
# BENCH_PROFILE=1 (with BENCH_ONLY): py-spy records every worker during the first measured run of each
# scenario and writes bench/out/profile-<scenario>-<pid>.txt (collapsed stacks); needs py-spy in the venv.
PYSPY = os.environ.get("BENCH_PROFILE", "") == "1"


@dataclass
class Scenario:
    name: str
    path: str
    server: str  # one of SERVERS
    auth: str | None = None  # None, "user" or "admin"
    checkout: bool = False
    hot: bool = False
    connections: int = 16
    paths: str | None = None  # "a|b|c": each request picks one (bench/wrk/get.lua)
    clients: int = 0  # requests spread over this many client addresses (X-Forwarded-For)
    buyers: int = 0  # buyers checking out spread products during the run (the catalog's hit rate under sales)
    results: list[dict[str, float]] = field(default_factory=list)
    statements: int | None = None


# What catalog readers ask for in the hit-rate scenarios: the first page, the oldest products (the ones the
# buyers buy, so their live stock keeps changing), the in-stock page, and details of bought products.
READS = "|".join(
    [
        "/api/products?page=1&per_page=20",
        "/api/products?sort=created_at&per_page=20",
        "/api/products?in_stock=true&per_page=20",
        *(f"/api/products/{pid}" for pid in range(1, 11)),
    ]
)
LIST = "/api/products?page=1&per_page=20"
MIXED = "catalog reads while 8 buyers check out spread products"
READ_ONLY = "catalog reads, read-only (metrics on)"

SCENARIOS = [
    Scenario("bare Flask floor (one JSON route)", "/", "bare"),
    Scenario("floor (GET /api/health/live)", "/api/health/live", "cached"),
    Scenario("catalog list, cached", LIST, "cached"),
    Scenario("product detail, cached", "/api/products/500", "cached"),
    Scenario("cart total, cached per user", "/api/sales/cart/total", "cached", auth="user"),
    Scenario("admin analytics, cached", "/api/sales/admin/sales?analytics=true", "cached", auth="admin"),
    Scenario("checkout, 32 buyers, spread products", "", "cached", auth="user", checkout=True, connections=32),
    Scenario(
        "checkout, 32 buyers, one hot product", "", "cached", auth="user", checkout=True, hot=True, connections=32
    ),
    Scenario("floor, rate limits on", "/api/health/live", "limited", clients=2000),
    Scenario("catalog list, cached, rate limits on", LIST, "limited", clients=2000),
    Scenario(READ_ONLY, "", "metrics", paths=READS),
    Scenario(MIXED, "", "metrics", paths=READS, buyers=8),
    Scenario("floor, uncached server", "/api/health/live", "uncached"),
    Scenario("catalog list, uncached (first page)", LIST, "uncached"),
    Scenario("catalog deep page (offset 50,000)", "/api/products?page=2501&per_page=20", "uncached"),
    # The path gets the cursor that the page at offset 49,980 hands out (run() asks the server for it).
    Scenario("catalog deep page by cursor (offset 50,000)", "/api/products?per_page=20&cursor=", "uncached"),
    Scenario("catalog search (q=wireless)", "/api/products?q=wireless&per_page=20", "uncached"),
    Scenario("catalog price range (10 to 50)", "/api/products?min_price=10&max_price=50&per_page=20", "uncached"),
    Scenario("product detail, uncached", "/api/products/500", "uncached"),
    Scenario("admin analytics, uncached", "/api/sales/admin/sales?analytics=true", "uncached", auth="admin"),
    Scenario("catalog list, no cache at all (first page)", LIST, "nocache"),
]
SERVERS = ("bare", "cached", "limited", "metrics", "uncached", "nocache")
METRICS_TOKEN = "bench-metrics-token"
MEMORY: dict[str, float] = {}
CPU: dict[str, float] = {}  # in-process CPU costs (bench/profile_costs.py)
LOAD: list[str] = []  # /proc/loadavg as the run started
# RESULTS.md from this heading on is written by hand: make bench rewrites what is above it and keeps the rest.
NOTES_HEADING = "## What the numbers say"


def server_env(server: str) -> dict[str, str]:
    env = {
        **os.environ,
        "APP_ENV": "production",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "RATELIMIT_ENABLED": "false",
        "METRICS_ENABLED": "false",
        "BIND": f"127.0.0.1:{PORT}",
        "JWT_ACCESS_TOKEN_MINUTES": "120",
        "CACHE_KEY_PREFIX": "bench:",
        # PostgreSQL, Redis and wrk share the cores: cores + 1 workers, not 2 x cores + 1 (see gunicorn.conf.py).
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", str((os.cpu_count() or 1) + 1)),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if server == "uncached":  # every response misses (as after an invalidation); counts and live stock stay
        env |= dict.fromkeys(
            ("CATALOG_LIST_TTL", "CATALOG_TAIL_TTL", "PRODUCT_DETAIL_TTL", "ADMIN_SALES_TTL", "CART_TOTAL_TTL"), "0"
        )
    if server == "nocache":  # Redis off: nothing cached at all
        env["CACHE_TYPE"] = "NullCache"
    if server == "limited":  # as production runs: the default limit per client address, behind one proxy
        env |= {"RATELIMIT_ENABLED": "true", "PROXY_HOPS": "1", "RATELIMIT_KEY_PREFIX": "bench-limits"}
    if server == "metrics":
        env |= {"METRICS_ENABLED": "true", "METRICS_TOKEN": METRICS_TOKEN}
    return env


def sh(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(args, cwd=ROOT, env=env, check=True)


def prepare_database() -> None:
    url = make_url(DATABASE_URL).set(drivername="postgresql+psycopg2")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database})
        if exists.first() is None:
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    env = server_env("cached") | {"APP_ENV": "development"}
    sh(str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "db", "upgrade", env=env)
    sh(PYTHON, str(BENCH / "seed.py"), env=env)
    seeded = create_engine(url, isolation_level="AUTOCOMMIT")
    with seeded.connect() as connection:  # planner statistics of the fresh rows, as autovacuum would give later
        connection.execute(text("VACUUM ANALYZE"))
    seeded.dispose()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # the benchmark's own database number


def metric_values(name: str) -> dict[str, float]:
    """The samples of one metric from /metrics, by their labels."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        text_body = response.read().decode()
    values = {}
    for line in text_body.splitlines():
        if line.startswith(name + "{"):
            labels, value = line[len(name) :].rsplit(" ", 1)
            values[labels] = float(value)
    return values


def cache_counts() -> tuple[float, float, float]:
    """Catalog cache hits, misses and live-stock refills so far (summed over the workers)."""
    lookups = metric_values("cache_lookups_total")
    hits = sum(v for k, v in lookups.items() if 'family="catalog"' in k and 'result="hit"' in k)
    misses = sum(v for k, v in lookups.items() if 'family="catalog"' in k and 'result="miss"' in k)
    refills = sum(metric_values("cache_stock_refills_total").values())
    return hits, misses, refills


def cache_memory() -> tuple[int, int]:
    """(keys, bytes) the cache holds in the benchmark's Redis database (MEMORY USAGE of every key)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    names = list(client.scan_iter("bench:*", count=1000))
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.memory_usage(name, samples=0)
    sizes = [size or 0 for size in pipe.execute()]
    client.close()
    return len(names), sum(sizes)


def measure_distinct_queries() -> None:
    """Memory that distinct list queries take (min_price=0.01, 0.02, ...), extrapolated to 10,000."""
    keys_before, bytes_before = cache_memory()
    result = wrk(Scenario("distinct list queries", "", "cached", connections=8), 20, distinct=True)
    keys_after, bytes_after = cache_memory()
    queries = result["requests"]
    per_query = (bytes_after - bytes_before) / max(queries, 1)
    MEMORY.update(
        queries=queries,
        keys=keys_after - keys_before,
        bytes=bytes_after - bytes_before,
        per_query=per_query,
        per_10k_mib=per_query * 10_000 / 2**20,
    )
    print(f"   distinct queries: {MEMORY}", flush=True)


@contextmanager
def gunicorn(server: str) -> Iterator[subprocess.Popen[bytes]]:
    log = open(OUT / f"gunicorn-{server}.log", "wb")  # noqa: SIM115 - closed below
    target = ["--pythonpath", str(BENCH), "bare:app"] if server == "bare" else []
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null", *target],
        cwd=ROOT,
        env=server_env(server),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    probe = "/" if server == "bare" else "/api/health/live"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}{probe}", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"gunicorn did not start; see {log.name}") from None
            time.sleep(0.2)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=40)
        log.close()


def worker_rss_mb(master: int) -> list[float]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def wrk_command(scenario: Scenario, seconds: int, *, distinct: bool = False) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "BENCH_PATH": scenario.path}
    if scenario.auth == "user":
        env["BENCH_USERS"] = str(OUT / "users.tsv")
    elif scenario.auth == "admin":
        env["BENCH_TOKEN"] = (OUT / "admin.token").read_text().strip()
    if scenario.hot:
        env["BENCH_HOT"] = "1"
    if scenario.paths:
        env["BENCH_PATHS"] = scenario.paths
    if scenario.clients:
        env["BENCH_CLIENTS"] = str(scenario.clients)
    if distinct:
        env["BENCH_DISTINCT"] = "1"
    script = BENCH / "wrk" / ("checkout.lua" if scenario.checkout else "get.lua")
    threads = scenario.connections if scenario.checkout else 2
    command = ["wrk", f"-t{threads}", f"-c{scenario.connections}", f"-d{seconds}s", "--timeout", "5s"]
    return [*command, "-s", str(script), f"http://127.0.0.1:{PORT}"], env


def parse_wrk(stdout: str) -> dict[str, float]:
    data: dict[str, float] = json.loads(stdout.strip().splitlines()[-1])
    per_second = data.get("checkouts", data["requests"]) / (data["duration_us"] / 1e6)
    return {
        "rate": per_second,
        "p50": data["p50_us"] / 1000,
        "p99": data["p99_us"] / 1000,
        "errors": data["errors"],
        "requests": data.get("checkouts", data["requests"]),
    }


def wrk(scenario: Scenario, seconds: int, *, distinct: bool = False) -> dict[str, float]:
    command, env = wrk_command(scenario, seconds, distinct=distinct)
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return parse_wrk(result.stdout)


def run_scenario(scenario: Scenario, seconds: int) -> dict[str, float]:
    """One run; with `buyers`, checkouts of spread products run alongside, and /metrics gives the hit rate."""
    counts_before = cache_counts() if scenario.server == "metrics" else None
    buyers = None
    if scenario.buyers:
        buyer = Scenario("buyers", "", scenario.server, auth="user", checkout=True, connections=scenario.buyers)
        command, env = wrk_command(buyer, seconds)
        buyers = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    result = wrk(scenario, seconds)
    if buyers is not None:
        stdout, _ = buyers.communicate(timeout=seconds + 30)
        result["checkouts"] = parse_wrk(stdout)["rate"]
    if counts_before is not None:
        hits, misses, refills = (a - b for a, b in zip(cache_counts(), counts_before, strict=True))
        result |= {"hit_rate": hits / max(hits + misses, 1), "refills": refills, "lookups": hits + misses}
    return result


def count_statements(scenario: Scenario) -> int | None:
    """SQL statements one request of the scenario issues, in-process (after one warm-up request)."""
    if scenario.server == "bare" or scenario.paths:
        return None
    with environment(server_env(scenario.server)):
        return _count_statements(scenario)


@contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    """os.environ as `env` for the block (create_app reads it), then as it was: one scenario's settings
    (TTLs of 0, NullCache) must not leak into the next app made in this process."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _count_statements(scenario: Scenario) -> int:
    from app import create_app
    from app.extensions import db

    app = create_app()
    client = app.test_client()
    headers = {}
    if scenario.auth == "user":
        token, address = (OUT / "users.tsv").read_text().splitlines()[-1].split("\t")
        headers = {"Authorization": f"Bearer {token}"}
    elif scenario.auth == "admin":
        headers = {"Authorization": f"Bearer {(OUT / 'admin.token').read_text().strip()}"}
    count = 0
    with app.app_context():
        engine = db.engine

        def counter(*_args: object) -> None:
            nonlocal count
            count += 1

        if scenario.checkout:
            product = 1 if scenario.hot else 7
            client.post("/api/sales/cart/items", json={"product_id": product, "quantity": 1}, headers=headers)
            event.listen(engine, "before_cursor_execute", counter)
            client.post("/api/sales/checkout", json={"delivery_address_id": int(address)}, headers=headers)
        else:
            client.get(scenario.path, headers=headers)
            event.listen(engine, "before_cursor_execute", counter)
            client.get(scenario.path, headers=headers)
        event.remove(engine, "before_cursor_execute", counter)
        db.session.remove()
        engine.dispose()
    return count


def versions() -> str:
    def version(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "unknown"

    return (
        f"Python {platform.python_version()}; {version(['psql', '--version'])}; "
        f"{version(['redis-server', '--version'])}; {version(['wrk', '--version'])}"
    )


def targets(by_name: dict[str, Scenario], floor: float, bare: float, memory: dict[str, list[float]]) -> list[str]:
    def rate(name: str) -> float:
        return mean(r["rate"] for r in by_name[name].results)

    def p50(name: str) -> float:
        return mean(r["p50"] for r in by_name[name].results)

    def errors(name: str) -> int:
        return int(sum(r["errors"] for r in by_name[name].results))

    first = "catalog list, uncached (first page)"
    spread, hot = "checkout, 32 buyers, spread products", "checkout, 32 buyers, one hot product"
    limited = "catalog list, cached, rate limits on"
    hit_rate = mean(r["hit_rate"] for r in by_name[MIXED].results)
    under_sales = rate(MIXED) / rate(READ_ONLY)
    rows = [
        (
            "cached catalog list >= 60% of the floor",
            f"{100 * rate('catalog list, cached') / floor:.0f}%",
            rate("catalog list, cached") >= 0.6 * floor,
        ),
        (
            "cached product detail >= 60% of the floor",
            f"{100 * rate('product detail, cached') / floor:.0f}%",
            rate("product detail, cached") >= 0.6 * floor,
        ),
        (
            "cached list with rate limits on >= 50% of bare Flask",
            f"{100 * rate(limited) / bare:.0f}% ({rate(limited):,.0f} of {bare:,.0f} req/s)",
            rate(limited) >= 0.5 * bare,
        ),
        ("catalog hit rate under sales >= 90%", f"{100 * hit_rate:.1f}%", hit_rate >= 0.9),
        ("catalog reads under sales >= 70% of read-only", f"{100 * under_sales:.0f}%", under_sales >= 0.7),
        ("uncached first page >= 1,000 req/s", f"{rate(first):,.0f} req/s", rate(first) >= 1000),
        (
            "deep page p50 within 2x of the first page",
            f"{p50('catalog deep page (offset 50,000)') / p50(first):.1f}x",
            p50("catalog deep page (offset 50,000)") <= 2 * p50(first),
        ),
        (
            "deep page by cursor p50 within 2x of the first page",
            f"{p50('catalog deep page by cursor (offset 50,000)') / p50(first):.1f}x",
            p50("catalog deep page by cursor (offset 50,000)") <= 2 * p50(first),
        ),
        *(
            (
                f"{name} p50 within 2x of the first page",
                f"{p50(name) / p50(first):.1f}x",
                p50(name) <= 2 * p50(first),
            )
            for name in ("catalog search (q=wireless)", "catalog price range (10 to 50)", "admin analytics, uncached")
        ),
        (
            "checkout >= 200/s, spread, 0 errors",
            f"{rate(spread):,.0f}/s, {errors(spread)} errors",
            rate(spread) >= 200 and errors(spread) == 0,
        ),
        ("hot product within 2x of spread", f"{rate(spread) / rate(hot):.1f}x", rate(hot) * 2 >= rate(spread)),
        (
            "worker RSS < 150 MB",
            f"{max(v for vals in memory.values() for v in vals):.0f} MB max",
            all(v < 150 for vals in memory.values() for v in vals),
        ),
    ]
    return [f"| {name} | {value} | {'met' if ok else '**missed**'} |" for name, value, ok in rows]


def kept_notes() -> str:
    """The hand-written part of RESULTS.md (from NOTES_HEADING on), which a run keeps."""
    path = BENCH / "RESULTS.md"
    old = path.read_text() if path.exists() else ""
    at = old.find(NOTES_HEADING)
    return old[at:].strip() if at >= 0 else f"{NOTES_HEADING}\n\n(Nothing written yet.)"


def write_results(memory: dict[str, list[float]], started: float) -> None:
    by_name = {s.name: s for s in SCENARIOS}
    floor = mean(r["rate"] for r in by_name["floor (GET /api/health/live)"].results)
    bare = mean(r["rate"] for r in by_name["bare Flask floor (one JSON route)"].results)
    rows = []
    for s in SCENARIOS:
        rates = [r["rate"] for r in s.results]
        rows.append(
            f"| {s.name} | {s.server} | {mean(rates):,.0f} ({' / '.join(f'{r:,.0f}' for r in rates)}) "
            f"| {100 * mean(rates) / floor:.0f}% | {100 * mean(rates) / bare:.0f}% "
            f"| {mean(r['p50'] for r in s.results):.1f} | {mean(r['p99'] for r in s.results):.1f} "
            f"| {'-' if s.statements is None else s.statements} | {int(sum(r['errors'] for r in s.results))} |"
        )
    sales = [
        f"- {s.name}: catalog hit rate {100 * mean(r['hit_rate'] for r in s.results):.1f}% "
        f"({mean(r['lookups'] for r in s.results):,.0f} lookups a run), "
        f"{mean(r['refills'] for r in s.results):,.0f} live-stock values read from PostgreSQL a run"
        + (f", {mean(r['checkouts'] for r in s.results):,.0f} checkouts/s alongside" if s.buyers else "")
        + "."
        for s in SCENARIOS
        if s.server == "metrics"
    ]
    profile = ""
    if CPU:
        lines = [f"| {name} | {value:,.0f} |" for name, value in CPU.items()]
        profile = (
            "### The fixed cost of a request (CPU microseconds, in-process, bench/profile_costs.py)\n\n"
            "The app called as a WSGI function (no gunicorn, no HTTP socket), best of 5 interleaved rounds of\n"
            "800 requests: CPU time does not depend on what else the shared machine runs the way requests/s do.\n\n"
            "| request | us |\n|---|---|\n" + "\n".join(lines)
        )
    distinct = (
        f"{MEMORY['queries']:,.0f} distinct list queries (`min_price=0.01, 0.02, ...`, 20 items a page) added "
        f"{MEMORY['keys']:,.0f} keys and {MEMORY['bytes'] / 2**20:.1f} MiB (Redis `MEMORY USAGE` of each key): "
        f"{MEMORY['per_query'] / 1024:.1f} KiB a query, so **10,000 distinct list queries take "
        f"{MEMORY['per_10k_mib']:.0f} MiB**, for CATALOG_TAIL_TTL (60 s) at most."
    )
    memory_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
    rss = "; ".join(f"{k}: " + ", ".join(f"{v:.0f} MB" for v in vals) for k, vals in memory.items())
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    text_out = f"""# Benchmark results

Written by `make bench` ({time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}, {time.time() - started:.0f} s).

- Machine: {os.cpu_count()} cores ({cpu}), {memory_gib} GiB;
  load generator (wrk) and server share the cores.
- Versions: {versions()}.
- Data: 100,000 products, 300 users with carts and addresses, 3,000 sales (bench/seed.py).
- Load average (1, 5, 15 min) as the run started: {LOAD[0] if LOAD else "unknown"}. Anything else running on
  the two cores moves every number by tens of percent: compare rows of one run.
- Server: `make serve`'s gunicorn.conf.py with {server_env("cached")["WEB_CONCURRENCY"]} sync workers (cores + 1: the
  database shares the cores), APP_ENV=production. "cached": rate limits off; "limited": rate
  limits on as in production (RATELIMIT_DEFAULT per client address, counted in Redis; wrk spreads requests
  over 2,000 client addresses behind one trusted proxy hop); "metrics": METRICS_ENABLED, hit rates read
  from /metrics; "uncached": every response a cache miss (the response TTLs at 0, as right after an
  invalidation) while product counts and live stock stay cached; "nocache": CACHE_TYPE=NullCache, Redis off;
  "bare": bench/bare.py, a Flask app with one JSON route and nothing else, under the same gunicorn config.
  {RUNS} runs of {DURATION} s after a {WARMUP} s warm-up; reads use 16 connections, checkouts 32 (one buyer
  each: add to cart, check out).
- Rate is requests/s (checkouts/s for checkout rows): mean, then each run. Latency in ms.
  SQL/req: statements one request issues (counted in-process after one warm-up request).

| scenario | server | rate (runs) | of floor | of bare Flask | p50 ms | p99 ms | SQL/req | errors |
|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Catalog reads in the hit-rate scenarios cycle over the first page, the oldest products' page (the
products the buyers buy), the in-stock page and ten bought products' details:
{chr(10).join(sales)}

Memory: {distinct}

{profile}

Worker memory (RSS) after the runs: {rss}.

## Targets (issue: benchmarks)

| target | result | |
|---|---|---|
{chr(10).join(targets(by_name, floor, bare, memory))}

{kept_notes()}
"""
    (BENCH / "RESULTS.md").write_text(text_out)
    print(text_out)


@contextmanager
def profiled(master: int, scenario: Scenario) -> Iterator[None]:
    """py-spy on every worker of `master` for the duration of the block (BENCH_PROFILE=1 only)."""
    if not PYSPY:
        yield
        return
    slug = "".join(c if c.isalnum() else "-" for c in scenario.name).strip("-")[:40]
    spies = [
        subprocess.Popen(
            [
                str(ROOT / ".venv/bin/py-spy"),
                "record",
                "--nonblocking",
                "--format",
                "raw",
                "--rate",
                "200",
                "--pid",
                pid,
                "--output",
                str(OUT / f"profile-{slug}-{pid}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()
    ]
    try:
        yield
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)
        for spy in spies:
            spy.wait(timeout=30)


def run(scenario: Scenario, master: int) -> None:
    """Warm up, then RUNS measured runs (py-spy on the first with BENCH_PROFILE=1)."""
    if scenario.path.endswith("cursor="):  # the cursor that the page at offset 49,980 hands out
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/products?page=2500&per_page=20") as r:
            scenario.path += json.load(r)["next_cursor"]
    print(f"-- {scenario.name}", flush=True)
    wrk(scenario, WARMUP)
    scenario.results = []
    for number in range(RUNS):
        with profiled(master, scenario) if number == 0 else nullcontext():
            scenario.results.append(run_scenario(scenario, DURATION))
    print(f"   {scenario.results}", flush=True)


def main() -> None:
    started = time.time()
    LOAD.append(" ".join(Path("/proc/loadavg").read_text().split()[:3]))
    OUT.mkdir(exist_ok=True)
    if not (ONLY and NO_SEED):
        prepare_database()
    memory: dict[str, list[float]] = {}
    selected = [s for s in SCENARIOS if ONLY in s.name]
    for server in SERVERS:
        scenarios = [s for s in selected if s.server == server]
        if not scenarios:
            continue
        with gunicorn(server) as process:
            for scenario in scenarios:
                run(scenario, process.pid)
            if server == "cached" and not ONLY:
                measure_distinct_queries()
            memory[server] = worker_rss_mb(process.pid)
    for scenario in selected:
        scenario.statements = count_statements(scenario)
        print(f"   {scenario.name}: {scenario.statements} statements/request", flush=True)
    if ONLY:
        return
    measure_profile()
    saved = {
        "scenarios": {s.name: {"results": s.results, "statements": s.statements} for s in SCENARIOS},
        "distinct": MEMORY,
        "profile": CPU,
        "memory": memory,
        "load": LOAD[0],
        "elapsed": time.time() - started,
    }
    (OUT / "results.json").write_text(json.dumps(saved))
    write_results(memory, started)


def render_saved() -> None:
    """Write RESULTS.md again from bench/out/results.json (after editing NOTES), without running anything."""
    saved = json.loads((OUT / "results.json").read_text())
    for scenario in SCENARIOS:
        scenario.results = saved["scenarios"][scenario.name]["results"]
        scenario.statements = saved["scenarios"][scenario.name]["statements"]
    MEMORY.update(saved["distinct"])
    CPU.update(saved.get("profile", {}))
    LOAD.append(saved.get("load", "unknown"))
    if "--profile" in sys.argv:
        measure_profile()
        saved["profile"] = CPU
        (OUT / "results.json").write_text(json.dumps(saved))
    write_results(saved["memory"], time.time() - saved["elapsed"])


def measure_profile() -> None:
    """CPU per request in-process (bench/profile.py), and the cache read before and after."""
    import profile_costs

    env = server_env("cached")
    limited = {k: v for k, v in server_env("limited").items() if k.startswith(("RATELIMIT", "PROXY"))}
    CPU.update(profile_costs.cpu_per_request(env, limited))
    CPU.update(profile_costs.redis_reads(REDIS_URL, "bench:"))
    CPU.update(profile_costs.checkout_pairs(env, OUT / "users.tsv"))
    print(f"   profile: {CPU}", flush=True)


if __name__ == "__main__":
    render_saved() if {"--render", "--profile"} & set(sys.argv) else main()
