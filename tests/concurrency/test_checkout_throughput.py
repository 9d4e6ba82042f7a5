"""Checkout throughput with 32 concurrent buyers, on one hot product and on spread products.

A benchmark, not a timed test: it asserts correctness only and prints checkouts per second
(run with `-s -m slow`). Threads share one process (and its GIL), so read the figures as a floor.
"""

from __future__ import annotations

import time

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import Product, Sale, SaleProduct
from tests.builders import make_product
from tests.concurrency.harness import (
    buyers,
    committed,
    read,
    run_together,
)

pytestmark = [pytest.mark.concurrency, pytest.mark.sales, pytest.mark.slow, pytest.mark.usefixtures("truncate_after")]

BUYERS = 32
ROUNDS = 5


def _rounds(headers: dict[str, str], address_id: int, product_id: int):  # type: ignore[no-untyped-def]
    def run(client) -> object:  # type: ignore[no-untyped-def]
        for _ in range(ROUNDS):
            client.post("/api/sales/cart/items", json={"product_id": product_id, "quantity": 1}, headers=headers)
            response = client.post("/api/sales/checkout", json={"delivery_address_id": address_id}, headers=headers)
            assert response.status_code == 201, response.get_json()
        return response

    return run


@pytest.mark.parametrize("spread", [False, True], ids=["hot-product", "spread-products"])
def test_checkouts_per_second_with_32_buyers(race_app: Flask, spread: bool) -> None:
    products = committed(
        race_app, lambda: [make_product(db.session(), stock=10_000) for _ in range(BUYERS if spread else 1)]
    )
    people = buyers(race_app, BUYERS, lambda _i: {})
    calls = [_rounds(h, a, products[i % len(products)].id) for i, (h, a) in enumerate(people)]

    started = time.perf_counter()
    replies = run_together(race_app, calls)
    elapsed = time.perf_counter() - started

    assert [r.status for r in replies] == [201] * BUYERS
    [(sales,)] = read(race_app, select(func.count(Sale.id)))
    [(sold,)] = read(race_app, select(func.sum(SaleProduct.quantity)))
    [(left,)] = read(race_app, select(func.sum(Product.stock)))
    assert sales == sold == BUYERS * ROUNDS
    assert left == 10_000 * len(products) - sold
    label = "spread products" if spread else "one hot product"
    print(
        f"\n{label}: {sales} checkouts (each after a cart add) by {BUYERS} buyers in {elapsed:.2f}s "
        f"= {sales / elapsed:.1f} checkouts/s"
    )
