"""Readers hammering a cached product while an admin changes it: no read after the write sees the old value."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from flask import Flask

from app.extensions import db
from app.models import Product
from app.services.product_service import ProductService
from tests.builders import SHOP

pytestmark = [pytest.mark.concurrency, pytest.mark.cache, pytest.mark.products]

READERS = 4


def test_no_read_after_a_write_sees_the_old_price(committing_app: Flask) -> None:
    with committing_app.app_context():
        product = Product(sku="RACE-1", name="Racer", price=Decimal("1.00"), stock=5)
        db.session.add(product)
        db.session.commit()
        product_id = product.id
        db.session.remove()

    barrier = threading.Barrier(READERS + 1)
    stop = threading.Event()
    reads: list[tuple[float, str]] = []  # (when the read started, price seen)
    lock = threading.Lock()

    def reader() -> None:
        client = committing_app.test_client()
        barrier.wait()
        while not stop.is_set():
            started = time.monotonic()
            price = client.get(f"/api/products/{product_id}").get_json()["price"]
            with lock:
                reads.append((started, price))

    threads = [threading.Thread(target=reader) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    deadline = time.monotonic() + 10
    while len(reads) < 2 * READERS and time.monotonic() < deadline:  # readers fill and hit the cache
        time.sleep(0.01)
    with committing_app.app_context():
        ProductService(SHOP).change(product_id, price=Decimal("2.00"))
        db.session.remove()
    written_at = time.monotonic()
    time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join()

    before = [price for started, price in reads if started < written_at]
    after = [price for started, price in reads if started > written_at]
    assert "1.00" in before
    assert after and set(after) == {"2.00"}
