"""Two gunicorn instances over one PostgreSQL and one Redis behave as one service."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.builders import make_address, make_product, make_user, start_session
from tests.scaleout.conftest import Instance, login

pytestmark = [pytest.mark.concurrency, pytest.mark.slow]


def test_logout_on_one_instance_is_rejected_on_the_other(
    instances: tuple[Instance, Instance], committed: Session
) -> None:
    a, b = instances
    user = make_user(committed)
    committed.commit()
    tokens = login(a, user.email)
    assert b.call("GET", "/api/users/me", token=tokens["access_token"])[0] == 200
    assert b.call("POST", "/api/users/logout", token=tokens["access_token"])[0] in (200, 204)
    assert a.call("GET", "/api/users/me", token=tokens["access_token"])[0] == 401
    assert a.call("POST", "/api/users/refresh", token=tokens["refresh_token"])[0] == 401


def test_a_price_change_on_one_instance_is_seen_on_the_others_next_read(
    instances: tuple[Instance, Instance], committed: Session
) -> None:
    a, b = instances
    admin = make_user(committed, role="admin")
    product = make_product(committed, price="10.00")
    committed.commit()
    assert b.call("GET", f"/api/products/{product.id}")[1]["price"] == "10.00"  # now cached
    token = login(a, admin.email)["access_token"]
    assert a.call("PATCH", f"/api/products/{product.id}", {"price": "12.50"}, token=token)[0] == 200
    assert b.call("GET", f"/api/products/{product.id}")[1]["price"] == "12.50"


def test_login_rate_limit_counts_across_instances(instances: tuple[Instance, Instance], committed: Session) -> None:
    a, b = instances
    wrong = {"email": "nobody@example.com", "password": "wrong-password"}
    statuses = [inst.call("POST", "/api/users/login", wrong)[0] for inst in (a, b, a, b, a)]
    assert statuses[:4] == [401, 401, 401, 401]
    assert statuses[4] == 429


def test_concurrent_checkouts_split_across_instances_never_oversell(
    instances: tuple[Instance, Instance], committed: Session, app: Flask
) -> None:
    product = make_product(committed, stock=5, price="3.00")
    buyers = []
    for _ in range(12):
        user = make_user(committed)
        buyers.append((user, make_address(committed, user)))
    committed.commit()
    with app.app_context():  # tokens minted directly: a dozen logins would trip the login rate limit
        tokens = [start_session(committed, user).access for user, _ in buyers]
    committed.commit()
    for i, token in enumerate(tokens):
        status, _ = instances[i % 2].call(
            "POST", "/api/sales/cart/items", {"product_id": product.id, "quantity": 1}, token
        )
        assert status in (200, 201)

    barrier = threading.Barrier(len(buyers))
    results: list[int] = []

    def buy(i: int) -> None:
        barrier.wait()
        status, _ = instances[i % 2].call(
            "POST", "/api/sales/checkout", {"delivery_address_id": buyers[i][1].id}, tokens[i]
        )
        results.append(status)

    threads = [threading.Thread(target=buy, args=(i,)) for i in range(len(buyers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [201] * 5 + [409] * 7
    committed.expire_all()
    assert committed.execute(text("SELECT stock FROM products WHERE id = :id"), {"id": product.id}).scalar() == 0
    sold = committed.execute(
        text("SELECT coalesce(sum(quantity), 0) FROM sale_products WHERE product_id = :id"), {"id": product.id}
    ).scalar()
    assert sold == 5
