"""Concurrent retries with one expired Idempotency-Key make exactly one new sale (real commits, real threads)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import Interval, func, literal, select, update

from app.extensions import db
from app.models import IdempotencyKey, Product, Sale
from tests.builders import make_product
from tests.concurrency.harness import buyers, committed, post_cart_item, post_checkout, read, run_together

pytestmark = [pytest.mark.concurrency, pytest.mark.sales, pytest.mark.usefixtures("truncate_after")]


def test_8_concurrent_retries_with_an_expired_key_make_one_new_sale(race_app: Flask) -> None:
    product = committed(race_app, lambda: make_product(db.session(), stock=100))
    [(headers, address_id)] = buyers(race_app, 1, lambda _i: {product: 1})
    keyed = {**headers, "Idempotency-Key": "yesterday"}
    client = race_app.test_client()
    first = post_checkout(keyed, address_id)(client).get_json()
    committed(
        race_app,
        lambda: db.session.execute(
            update(IdempotencyKey).values(
                created_at=IdempotencyKey.created_at - literal(timedelta(hours=25), Interval())
            )
        ),
    )
    assert post_cart_item(headers, product.id, 1)(client).status_code == 201

    replies = run_together(race_app, [post_checkout(keyed, address_id) for _ in range(8)])

    assert [r.status for r in replies] == [201] * 8
    new_sales = {r.body["id"] for r in replies}
    assert len(new_sales) == 1 and first["id"] not in new_sales
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in replies) == 7
    [(sales,)] = read(race_app, select(func.count(Sale.id)))
    [(stock,)] = read(race_app, select(Product.stock).where(Product.id == product.id))
    [(keys, sale_id)] = read(race_app, select(func.count(IdempotencyKey.id), func.max(IdempotencyKey.sale_id)))
    assert (sales, stock, keys, sale_id) == (2, 98, 1, new_sales.pop())
