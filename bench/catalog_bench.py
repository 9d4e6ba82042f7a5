"""Time uncached catalog reads on a seeded catalog (see seed_catalog.py): median and p95 per case.

    DATABASE_URL=postgresql://... .venv/bin/python bench/catalog_bench.py [--runs 30]

Runs in-process through the Flask test client with the cache off (CACHE_TYPE=NullCache), so every
request pays its SQL: this is the cost of a cache miss, the worst case a reader can see. With
REDIS_URL set, it then times cache hits (no SQL at all) for the first page and a detail read.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402

CASES = {
    "first page (newest)": "/api/products",
    "first page by price": "/api/products?sort=price",
    "deep page (offset 80,000)": "/api/products?page=4001&per_page=20",
    "category + in stock": "/api/products?category=kitchen&in_stock=true",
    "price range": "/api/products?min_price=10&max_price=20&sort=price",
    "search, broad word": "/api/products?q=mug",
    "search, two words": "/api/products?q=wool%20scarf",
    "search, selective": "/api/products?q=vintage%20teapot%204242",
    "search + category + sort": "/api/products?q=lamp&category=home&sort=-price",
    "detail": "/api/products/{id}",
}


def timed(client: FlaskClient, url: str, runs: int) -> tuple[float, float, dict[str, Any]]:
    timings, body = [], {}
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        body = response.get_json()
    timings.sort()
    return statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)], body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    app = create_app(CACHE_TYPE="NullCache", RATELIMIT_ENABLED=False)
    client = app.test_client()
    first = client.get("/api/products?per_page=1").get_json()
    total = first["total"]
    product_id = first["items"][0]["id"]
    print(f"{total} active products; {args.runs} runs per case, cache off\n")
    print(f"{'case':32} {'median ms':>10} {'p95 ms':>8} {'total':>8}")
    for name, url in CASES.items():
        median, p95, body = timed(client, url.format(id=product_id), args.runs)
        print(f"{name:32} {median:10.1f} {p95:8.1f} {body.get('total', 1):8}")
    if os.environ.get("REDIS_URL"):
        cached = create_app(RATELIMIT_ENABLED=False).test_client()
        for name, url in {
            "cached first page (hit)": "/api/products",
            "cached detail (hit)": "/api/products/{id}",
        }.items():
            cached.get(url.format(id=product_id))  # fill
            median, p95, body = timed(cached, url.format(id=product_id), args.runs)
            print(f"{name:32} {median:10.1f} {p95:8.1f} {body.get('total', 1):8}")


if __name__ == "__main__":
    main()
