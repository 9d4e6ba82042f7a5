"""Checkout, idempotency, cancellation and invoice numbering under real concurrent clients.

These tests commit for real: each builds its data with its own app (its own engine and pool, not
the rolled-back `db_session`), releases its threads together with a Barrier, and truncates every
table it touched afterwards.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import Cart, CartProduct, IdempotencyKey, Invoice, InvoiceCounter, Product, Sale, SaleProduct
from app.repos.invoice_repo import InvoiceRepo
from tests.builders import make_product, make_user
from tests.concurrency.harness import (
    buyers,
    committed,
    customer,
    headers_for,
    post_cancel,
    post_cart_item,
    post_checkout,
    read,
    run_together,
)

pytestmark = [pytest.mark.concurrency, pytest.mark.sales, pytest.mark.usefixtures("truncate_after")]


def test_25_buyers_racing_for_the_last_5_units_make_exactly_5_sales(race_app: Flask) -> None:
    product = committed(race_app, lambda: make_product(db.session(), stock=5))
    people = buyers(race_app, 25, lambda _i: {product: 1})

    replies = run_together(race_app, [post_checkout(h, a) for h, a in people])

    statuses = sorted(r.status for r in replies)
    assert statuses.count(201) == 5
    assert statuses.count(409) == 20
    assert all(r.body["code"] == "insufficient_stock" for r in replies if r.status == 409)
    assert not [r for r in replies if r.status >= 500]
    [(stock,)] = read(race_app, select(Product.stock).where(Product.id == product.id))
    [(sold,)] = read(race_app, select(func.coalesce(func.sum(SaleProduct.quantity), 0)))
    assert stock == 0
    assert 5 - stock == sold == 5
    [(sales,)] = read(race_app, select(func.count(Sale.id)))
    assert sales == 5


def test_random_quantities_never_oversell_and_conserve_stock(race_app: Flask) -> None:
    products = committed(race_app, lambda: [make_product(db.session(), stock=10) for _ in range(3)])
    quantities = itertools.cycle([1, 2, 3, 4])
    people = buyers(
        race_app, 20, lambda i: {products[i % 3]: next(quantities), products[(i + 1) % 3]: next(quantities)}
    )

    replies = run_together(race_app, [post_checkout(h, a) for h, a in people])

    assert {r.status for r in replies} <= {201, 409}
    ids = [p.id for p in products]
    stock = dict(read(race_app, select(Product.id, Product.stock).where(Product.id.in_(ids))))
    sold = dict(
        read(race_app, select(SaleProduct.product_id, func.sum(SaleProduct.quantity)).group_by(SaleProduct.product_id))
    )
    for pid in ids:
        assert stock[pid] >= 0
        assert 10 - stock[pid] == sold.get(pid, 0)


def test_8_concurrent_requests_with_one_idempotency_key_make_one_sale(race_app: Flask) -> None:
    product = committed(race_app, lambda: make_product(db.session(), stock=100))
    [(headers, address_id)] = buyers(race_app, 1, lambda _i: {product: 2})
    keyed = {**headers, "Idempotency-Key": "one-purchase"}

    replies = run_together(race_app, [post_checkout(keyed, address_id) for _ in range(8)])

    assert [r.status for r in replies] == [201] * 8
    assert len({r.body["id"] for r in replies}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in replies) == 7
    [(sales,)] = read(race_app, select(func.count(Sale.id)))
    [(stock,)] = read(race_app, select(Product.stock).where(Product.id == product.id))
    [(keys,)] = read(race_app, select(func.count(IdempotencyKey.id)))
    assert (sales, stock, keys) == (1, 98, 1)


def test_crossed_carts_never_deadlock(race_app: Flask) -> None:
    a, b = committed(race_app, lambda: [make_product(db.session(), stock=100) for _ in range(2)])
    # Half the carts add A then B, half B then A (insertion order is what a naive checkout would follow).
    people = buyers(race_app, 20, lambda i: {a: 1, b: 1} if i % 2 else {b: 1, a: 1})

    replies = run_together(race_app, [post_checkout(h, addr) for h, addr in people])

    assert [r.status for r in replies] == [201] * 20
    stock = dict(read(race_app, select(Product.id, Product.stock).where(Product.id.in_([a.id, b.id]))))
    assert stock == {a.id: 80, b.id: 80}


def test_two_concurrent_cancels_restock_once(race_app: Flask) -> None:
    product = committed(race_app, lambda: make_product(db.session(), stock=10))
    [(headers, address_id)] = buyers(race_app, 1, lambda _i: {product: 4})
    sale_id = (
        race_app.test_client()
        .post("/api/sales/checkout", json={"delivery_address_id": address_id}, headers=headers)
        .get_json()["id"]
    )
    admin = committed(race_app, lambda: headers_for(make_user(db.session(), role="admin")))

    cancel = [
        lambda client: client.post(f"/api/sales/{sale_id}/cancel", headers=headers),
        lambda client: client.post(f"/api/sales/{sale_id}/cancel", headers=admin),
        lambda client: client.patch(f"/api/sales/admin/sales/{sale_id}", json={"status": "cancelled"}, headers=admin),
    ]
    replies = run_together(race_app, cancel)

    assert sorted(r.status for r in replies) == [200, 409, 409]
    assert all(r.body["code"] == "invalid_transition" for r in replies if r.status == 409)
    [(stock,)] = read(race_app, select(Product.stock).where(Product.id == product.id))
    assert stock == 10


def test_invoice_numbers_stay_gap_free_when_checkouts_fail_after_taking_one(
    race_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    product = committed(race_app, lambda: make_product(db.session(), stock=100))
    people = buyers(race_app, 15, lambda _i: {product: 1})
    calls = itertools.count()
    lock = threading.Lock()
    issue = InvoiceRepo.issue

    def failing_issue(self: InvoiceRepo, year: int, invoice: Mapping[str, Any]) -> str:
        # The number is taken and the invoice inserted; then every third checkout dies and rolls back.
        number = issue(self, year, invoice)
        with lock:
            n = next(calls)
        if n % 3 == 0:
            raise RuntimeError("injected failure after the invoice number was taken")
        return number

    monkeypatch.setattr(InvoiceRepo, "issue", failing_issue)

    replies = run_together(race_app, [post_checkout(h, a) for h, a in people])

    committed_count = sum(r.status == 201 for r in replies)
    assert committed_count == 10
    assert sum(r.status == 500 for r in replies) == 5
    numbers = sorted(int(n.rsplit("-", 1)[1]) for (n,) in read(race_app, select(Invoice.number)))
    assert numbers == list(range(1, committed_count + 1))
    [(last,)] = read(race_app, select(InvoiceCounter.last_number))
    assert last == committed_count
    [(stock,)] = read(race_app, select(Product.stock).where(Product.id == product.id))
    assert stock == 100 - committed_count


def test_two_concurrent_checkouts_of_one_cart_sell_it_once(race_app: Flask) -> None:
    product = committed(race_app, lambda: make_product(db.session(), stock=10))
    [(headers, address_id)] = buyers(race_app, 1, lambda _i: {product: 2})

    replies = run_together(race_app, [post_checkout(headers, address_id) for _ in range(2)])

    assert sorted(r.status for r in replies) == [201, 422]
    assert [r.body["code"] for r in replies if r.status == 422] == ["cart_empty"]
    [(stock,)] = read(race_app, select(Product.stock).where(Product.id == product.id))
    assert stock == 8


def test_concurrent_first_adds_create_one_cart(race_app: Flask) -> None:
    products = committed(race_app, lambda: [make_product(db.session(), stock=5) for _ in range(8)])
    user_id, headers = committed(race_app, lambda: customer(make_user(db.session())))

    replies = run_together(race_app, [post_cart_item(headers, p.id, 1) for p in products])

    assert [r.status for r in replies] == [201] * 8
    [(carts,)] = read(race_app, select(func.count(Cart.id)).where(Cart.user_id == user_id))
    [(lines,)] = read(race_app, select(func.count()).select_from(CartProduct))
    assert (carts, lines) == (1, 8)


def test_concurrent_adds_to_one_line_never_exceed_stock(race_app: Flask) -> None:
    product = committed(race_app, lambda: make_product(db.session(), stock=5))
    user_id, headers = committed(race_app, lambda: customer(make_user(db.session())))

    replies = run_together(race_app, [post_cart_item(headers, product.id, 3) for _ in range(2)])

    assert sorted(r.status for r in replies) == [201, 409]
    [(quantity,)] = read(race_app, select(CartProduct.quantity).join(Cart).where(Cart.user_id == user_id))
    assert quantity == 3


def test_checkouts_racing_cancellations_keep_stock_conserved(race_app: Flask) -> None:
    a, b = committed(race_app, lambda: [make_product(db.session(), stock=50) for _ in range(2)])
    sellers = buyers(race_app, 6, lambda i: {a: 2, b: 1} if i % 2 else {b: 2, a: 1})
    client = race_app.test_client()
    sales = [
        (h, client.post("/api/sales/checkout", json={"delivery_address_id": addr}, headers=h).get_json()["id"])
        for h, addr in sellers
    ]
    people = buyers(race_app, 12, lambda i: {a: 1, b: 1} if i % 2 else {b: 1, a: 1})

    calls = [post_cancel(h, sale_id) for h, sale_id in sales] + [post_checkout(h, addr) for h, addr in people]
    replies = run_together(race_app, calls)

    assert [r.status for r in replies] == [200] * 6 + [201] * 12
    stock = dict(read(race_app, select(Product.id, Product.stock).where(Product.id.in_([a.id, b.id]))))
    assert stock == {a.id: 38, b.id: 38}
