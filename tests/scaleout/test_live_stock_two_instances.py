"""Two gunicorn instances, one PostgreSQL and one Redis: every cached catalog read shows live stock.

Each instance runs 2 workers, so a read may land on any of four processes with their own memory.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy.orm import Session

from tests.builders import make_address, make_cart, make_product, make_user, start_session
from tests.scaleout.conftest import ROOT, Instance, server_environ, two_gunicorns

pytestmark = [pytest.mark.concurrency, pytest.mark.slow, pytest.mark.cache]
TOKEN = "scaleout-metrics-token"


@pytest.fixture
def server_env(app: Flask, tmp_path: Path) -> dict[str, str]:
    return server_environ(app, tmp_path, METRICS_ENABLED="true", METRICS_TOKEN=TOKEN)


@pytest.fixture
def shops(server_env: dict[str, str], tmp_path: Path, committed: Session) -> Iterator[tuple[Instance, Instance]]:
    environs = [server_env | {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / f"metrics-{n}")} for n in range(2)]
    with two_gunicorns(*environs) as pair:
        yield pair


def seen(instance: Instance, product_id: int) -> dict[str, Any]:
    """Detail, first-page row and in-stock page membership, each read twice (two workers, likely both)."""
    views = []
    for _ in range(2):
        detail = instance.call("GET", f"/api/products/{product_id}")[1]
        page = {item["id"]: item for item in instance.call("GET", "/api/products")[1]["items"]}
        in_stock = [item["id"] for item in instance.call("GET", "/api/products?in_stock=true")[1]["items"]]
        views.append(
            {
                "detail": (detail["stock"], detail["in_stock"]),
                "list": (page[product_id]["stock"], page[product_id]["in_stock"]),
                "in_stock_page": product_id in in_stock,
            }
        )
    assert views[0] == views[1]
    return views[0]


def expect(stock: int) -> dict[str, Any]:
    return {"detail": (stock, stock > 0), "list": (stock, stock > 0), "in_stock_page": stock > 0}


def test_sales_cancellations_and_admin_changes_are_live_on_both_instances(
    shops: tuple[Instance, Instance],
    committed: Session,
    app: Flask,
    redis_db: redis.Redis,
) -> None:
    a, b = shops
    product = make_product(committed, stock=2, price="4.00")
    make_product(committed, stock=9)
    admin = make_user(committed, role="admin")
    buyers = []
    for _ in range(2):
        user = make_user(committed)
        address = make_address(committed, user)
        make_cart(committed, user, {product: 1})
        buyers.append((user, address))
    committed.commit()
    with app.app_context():
        tokens = [start_session(committed, user).access for user, _ in buyers]
        admin_token = start_session(committed, admin).access
    committed.commit()
    generation = redis_db.key("g:catalog")
    assert seen(a, product.id) == seen(b, product.id) == expect(2)  # cached everywhere
    before = redis_db.get(generation)

    status, first_sale = a.call("POST", "/api/sales/checkout", {"delivery_address_id": buyers[0][1].id}, tokens[0])
    assert status == 201
    assert seen(a, product.id) == seen(b, product.id) == expect(1)
    assert redis_db.get(generation) == before  # still in stock: the catalog was not wiped

    status, _ = b.call("POST", "/api/sales/checkout", {"delivery_address_id": buyers[1][1].id}, tokens[1])
    assert status == 201
    assert seen(a, product.id) == seen(b, product.id) == expect(0)
    assert redis_db.get(generation) != before  # sold out: in-stock pages and counts are rebuilt

    assert b.call("POST", f"/api/sales/{first_sale['id']}/cancel", token=tokens[0])[0] == 200
    assert seen(a, product.id) == seen(b, product.id) == expect(1)

    assert a.call("PATCH", f"/api/products/{product.id}", {"stock": 7}, token=admin_token)[0] == 200
    assert seen(a, product.id) == seen(b, product.id) == expect(7)


def test_seed_demo_against_running_cached_servers_is_visible_at_once(
    shops: tuple[Instance, Instance],
    committed: Session,
    server_env: dict[str, str],
) -> None:
    a, b = shops
    assert a.call("GET", "/api/products")[1]["total"] == b.call("GET", "/api/products")[1]["total"] == 0  # cached

    env = {
        **server_env,
        "APP_ENV": "development",
        "METRICS_ENABLED": "false",
        "ADMIN_PASSWORD": "demo-admin-password-1",
    }
    seeded = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "seed-demo"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert seeded.returncode == 0, seeded.stderr

    assert a.call("GET", "/api/products")[1]["total"] == b.call("GET", "/api/products")[1]["total"] == 50
    assert b.call("GET", "/api/products?category=books")[1]["total"] == 10


def test_metrics_add_up_every_worker(shops: tuple[Instance, Instance], committed: Session) -> None:
    a, _ = shops
    make_product(committed)
    committed.commit()
    for _ in range(6):
        assert a.call("GET", "/api/products")[0] == 200

    import urllib.request

    request = urllib.request.Request(a.base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    counted = sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("cache_lookups_total{") and 'family="catalog"' in line
    )
    assert counted == 6
    assert 'route="/api/products"' in text
