"""Cached catalog reads never contradict a sale: live stock, generations that cannot go back, JSON entries.

Two app instances ("processes") share the test's PostgreSQL transaction and the test Redis database, so a
write through one is checked on the other's next read.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Product, User
from tests.builders import make_address, make_cart, make_product, make_user
from tests.helpers import buy

pytestmark = [pytest.mark.cache, pytest.mark.products]

Headers = dict[str, str]


@pytest.fixture
def other(make_app: Callable[..., Flask], app: Flask, db_session: Session) -> FlaskClient:
    """A second app instance on the test's connection (its own breaker and Redis client, same Redis)."""
    with app.app_context():
        connection = db.engines[None]
    second = make_app()
    with second.app_context():
        db.engines[None] = connection
    return second.test_client()


@contextmanager
def statements() -> Iterator[list[str]]:
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def shown(client: FlaskClient, product: Product) -> dict[str, Any]:
    """What a shopper sees of `product`: detail, its row on the first page, whether the in-stock page lists it."""
    detail = client.get(f"/api/products/{product.id}").get_json()
    listed = {item["id"]: item for item in client.get("/api/products").get_json()["items"]}
    in_stock = [item["id"] for item in client.get("/api/products?in_stock=true").get_json()["items"]]
    return {
        "detail": (detail["stock"], detail["in_stock"]),
        "list": (listed[product.id]["stock"], listed[product.id]["in_stock"]),
        "in_stock_page": product.id in in_stock,
    }


def seen_as(stock: int) -> dict[str, Any]:
    return {"detail": (stock, stock > 0), "list": (stock, stock > 0), "in_stock_page": stock > 0}


def fresh(session: Session) -> None:
    """Drop what the test's session remembers of rows a request changed with a bulk UPDATE; each request has a
    session of its own."""
    session.expire_all()


@pytest.fixture
def admin_headers(db_session: Session, auth_headers: Callable[[User], Headers]) -> Headers:
    return auth_headers(make_user(db_session, role="admin"))


# ---------------------------------------------------------------- stock is live on every cached read


def test_a_checkout_shows_on_every_cached_read_of_both_instances(
    client: FlaskClient, other: FlaskClient, db_session: Session, auth_headers: Callable[[User], Headers]
) -> None:
    product = make_product(db_session, stock=3)
    make_product(db_session, stock=5)  # a neighbour on the same pages
    assert shown(client, product) == shown(other, product) == seen_as(3)  # now cached on both

    buy(client, db_session, auth_headers, product, 1)

    assert shown(client, product) == shown(other, product) == seen_as(2)


def test_selling_the_last_unit_takes_the_product_off_the_in_stock_page_everywhere(
    client: FlaskClient, other: FlaskClient, db_session: Session, auth_headers: Callable[[User], Headers]
) -> None:
    product = make_product(db_session, stock=2)
    assert shown(client, product) == shown(other, product) == seen_as(2)

    buy(other, db_session, auth_headers, product, 2)

    assert shown(client, product) == shown(other, product) == seen_as(0)
    assert client.get("/api/products?in_stock=true").get_json()["total"] == 0
    assert client.get("/api/products?in_stock=false").get_json()["total"] == 1


def test_a_cancellation_brings_the_stock_back_on_both_instances(
    client: FlaskClient, other: FlaskClient, db_session: Session, auth_headers: Callable[[User], Headers]
) -> None:
    product = make_product(db_session, stock=1)
    buyer = make_user(db_session)
    address = make_address(db_session, buyer)
    make_cart(db_session, buyer, {product: 1})
    headers = auth_headers(buyer)
    sale = client.post("/api/sales/checkout", json={"delivery_address_id": address.id}, headers=headers).get_json()
    fresh(db_session)
    assert shown(client, product) == shown(other, product) == seen_as(0)

    assert other.post(f"/api/sales/{sale['id']}/cancel", headers=headers).status_code == 200
    fresh(db_session)

    assert shown(client, product) == shown(other, product) == seen_as(1)


def test_an_admin_stock_change_shows_on_both_instances(
    client: FlaskClient, other: FlaskClient, db_session: Session, admin_headers: Headers
) -> None:
    product = make_product(db_session, stock=4)
    assert shown(client, product) == shown(other, product) == seen_as(4)

    assert client.patch(f"/api/products/{product.id}", json={"stock": 9}, headers=admin_headers).status_code == 200

    assert shown(client, product) == shown(other, product) == seen_as(9)
    assert client.patch(f"/api/products/{product.id}", json={"stock": 0}, headers=admin_headers).status_code == 200
    assert shown(client, product) == shown(other, product) == seen_as(0)


def test_a_cart_add_and_the_catalog_agree_after_a_sale(
    client: FlaskClient, db_session: Session, auth_headers: Callable[[User], Headers]
) -> None:
    product = make_product(db_session, stock=1)
    client.get(f"/api/products/{product.id}")
    buy(client, db_session, auth_headers, product, 1)

    shopper = auth_headers(make_user(db_session))
    added = client.post("/api/sales/cart/items", json={"product_id": product.id, "quantity": 1}, headers=shopper)

    assert added.status_code == 409
    assert client.get(f"/api/products/{product.id}").get_json()["in_stock"] is False


def test_the_etag_changes_with_the_stock(
    client: FlaskClient, db_session: Session, auth_headers: Callable[[User], Headers]
) -> None:
    product = make_product(db_session, stock=3)
    etag = client.get(f"/api/products/{product.id}").headers["ETag"]
    assert client.get(f"/api/products/{product.id}", headers={"If-None-Match": etag}).status_code == 304

    buy(client, db_session, auth_headers, product, 1)

    response = client.get(f"/api/products/{product.id}", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.get_json()["stock"] == 2


# ---------------------------------------------------------------- a stream of sales does not wipe the catalog


def test_a_checkout_that_leaves_stock_does_not_bump_the_catalog(
    client: FlaskClient, db_session: Session, auth_headers: Callable[[User], Headers], redis_db: redis.Redis
) -> None:
    product = make_product(db_session, stock=5)
    client.get("/api/products")
    generation = redis_db.get(redis_db.key("g:catalog"))

    buy(client, db_session, auth_headers, product, 2)

    assert redis_db.get(redis_db.key("g:catalog")) == generation
    with statements() as sent:
        client.get("/api/products")
    selects = [s for s in sent if s.startswith("SELECT")]
    assert len(selects) == 1, selects  # the list entry is still a hit; only the sold product's stock is read
    assert "products.stock" in selects[0]


def test_a_checkout_that_sells_out_bumps_the_catalog(
    client: FlaskClient, db_session: Session, auth_headers: Callable[[User], Headers], redis_db: redis.Redis
) -> None:
    product = make_product(db_session, stock=2)
    client.get("/api/products")
    generation = int(redis_db.get(redis_db.key("g:catalog")) or 0)

    buy(client, db_session, auth_headers, product, 2)

    assert int(redis_db.get(redis_db.key("g:catalog")) or 0) > generation


def test_a_cancellation_that_refills_from_zero_bumps_the_catalog_and_one_that_does_not_leaves_it(
    client: FlaskClient, db_session: Session, auth_headers: Callable[[User], Headers], redis_db: redis.Redis
) -> None:
    product = make_product(db_session, stock=3)
    buyer = make_user(db_session)
    address = make_address(db_session, buyer)
    headers = auth_headers(buyer)
    make_cart(db_session, buyer, {product: 1})
    partial = client.post("/api/sales/checkout", json={"delivery_address_id": address.id}, headers=headers).get_json()
    generation = redis_db.get(redis_db.key("g:catalog"))
    client.post(f"/api/sales/{partial['id']}/cancel", headers=headers)
    assert redis_db.get(redis_db.key("g:catalog")) == generation  # 2 -> 3: still in stock

    fresh(db_session)
    second = make_user(db_session)
    second_address = make_address(db_session, second)
    make_cart(db_session, second, {product: 3})
    second_headers = auth_headers(second)
    everything = client.post(
        "/api/sales/checkout", json={"delivery_address_id": second_address.id}, headers=second_headers
    )
    assert everything.status_code == 201, everything.get_json()
    generation = redis_db.get(redis_db.key("g:catalog"))
    client.post(f"/api/sales/{everything.get_json()['id']}/cancel", headers=second_headers)
    assert int(redis_db.get(redis_db.key("g:catalog")) or 0) > int(generation or 0)  # 0 -> 3: back in stock


def test_a_hit_after_the_stock_was_read_back_costs_no_sql(
    client: FlaskClient, db_session: Session, auth_headers: Callable[[User], Headers]
) -> None:
    product = make_product(db_session, stock=5)
    client.get(f"/api/products/{product.id}")
    buy(client, db_session, auth_headers, product, 1)
    client.get(f"/api/products/{product.id}")  # reads the new stock once, keeps it

    with statements() as sent:
        response = client.get(f"/api/products/{product.id}")

    assert sent == []
    assert response.get_json()["stock"] == 4


def test_a_stock_value_read_before_a_sale_cannot_overwrite_the_sale(
    client: FlaskClient, db_session: Session, app: Flask
) -> None:
    from app.cache import keys, stock

    product = make_product(db_session, stock=5)
    client.get(f"/api/products/{product.id}")
    with app.app_context():
        key = keys.stock_key(product.id)
        seen = [None]
        stock.changed({product.id: 5}, {product.id: 4})  # a sale commits after the read saw no value
        stock.store.refill([key], seen, [b"5"], 60)  # the read's write-back comes late
    product.stock = 4
    db_session.flush()

    assert client.get(f"/api/products/{product.id}").get_json()["stock"] == 4


# ---------------------------------------------------------------- generations never go back


def test_a_lost_generation_never_serves_an_old_entry(
    client: FlaskClient, other: FlaskClient, db_session: Session, redis_db: redis.Redis
) -> None:
    product = make_product(db_session, price="1.00")
    assert client.get(f"/api/products/{product.id}").get_json()["price"] == "1.00"
    assert client.get("/api/products").get_json()["items"][0]["price"] == "1.00"
    entries = set(redis_db.scan_iter(redis_db.key("e:catalog:*")))
    db_session.execute(update(Product).where(Product.id == product.id).values(price=2))  # no bump
    redis_db.delete(redis_db.key("g:catalog"))  # evicted alone; the entries remain
    assert entries <= set(redis_db.scan_iter(redis_db.key("e:catalog:*")))

    assert client.get(f"/api/products/{product.id}").get_json()["price"] == "2.00"
    assert other.get("/api/products").get_json()["items"][0]["price"] == "2.00"


def test_a_write_after_a_lost_generation_starts_above_every_entry(
    client: FlaskClient, db_session: Session, admin_headers: Headers, redis_db: redis.Redis
) -> None:
    product = make_product(db_session, price="1.00")
    client.get(f"/api/products/{product.id}")
    old = int(redis_db.get(redis_db.key("g:catalog")) or 0)
    redis_db.delete(redis_db.key("g:catalog"))

    client.patch(f"/api/products/{product.id}", json={"price": "3.00"}, headers=admin_headers)

    assert int(redis_db.get(redis_db.key("g:catalog")) or 0) > old  # INCR of a missing key would have said 1
    assert client.get(f"/api/products/{product.id}").get_json()["price"] == "3.00"


# ---------------------------------------------------------------- JSON bytes, never pickles


def test_nothing_in_redis_is_a_pickle(
    client: FlaskClient, db_session: Session, auth_headers: Callable[[User], Headers], redis_db: redis.Redis
) -> None:
    product = make_product(db_session, stock=3)
    user = make_user(db_session)
    make_cart(db_session, user, {product: 1})
    headers = auth_headers(user)
    admin = auth_headers(make_user(db_session, role="admin"))
    for url, auth in [
        ("/api/products", None),
        ("/api/products?per_page=5&page=1", None),
        (f"/api/products/{product.id}", None),
        ("/api/sales/cart/total", headers),
        ("/api/sales/admin/sales", admin),
        ("/api/sales/admin/sales?analytics=true", admin),
    ]:
        assert client.get(url, headers=auth).status_code == 200

    # The cache's string values (the blocklist, a hash of plain strings, is not the cache's).
    values = [redis_db.get(key) for key in redis_db.scan_iter(redis_db.key("*"), _type="string")]
    assert values
    for value in values:
        assert value is not None
        assert not value.startswith((b"\x80", b"!"))  # pickle protocol 2+, Flask-Caching's pickle marker
        assert value.startswith(b"E1\n") or value.isdigit() or value.startswith(b"~")


def test_an_old_pickled_entry_is_ignored(client: FlaskClient, db_session: Session, redis_db: redis.Redis) -> None:
    product = make_product(db_session, price="4.00")
    client.get(f"/api/products/{product.id}")
    (key,) = redis_db.scan_iter(redis_db.key(f"e:catalog:product:{product.id}"))
    redis_db.set(key, b"!" + pickle.dumps(("etag", '{"price": "0.01"}')))  # what Flask-Caching stored

    response = client.get(f"/api/products/{product.id}")

    assert response.status_code == 200
    assert response.get_json()["price"] == "4.00"


# ---------------------------------------------------------------- restoring an archived product


def test_an_admin_restores_an_archived_product(
    client: FlaskClient, other: FlaskClient, db_session: Session, admin_headers: Headers
) -> None:
    product = make_product(db_session)
    client.delete(f"/api/products/{product.id}", headers=admin_headers)
    assert other.get(f"/api/products/{product.id}").status_code == 404
    assert other.get("/api/products").get_json()["items"] == []

    restored = client.patch(f"/api/products/{product.id}", json={"is_active": True}, headers=admin_headers)

    assert restored.status_code == 200
    assert restored.get_json()["is_active"] is True
    assert other.get(f"/api/products/{product.id}").status_code == 200
    assert [item["id"] for item in other.get("/api/products").get_json()["items"]] == [product.id]


def test_patch_is_active_false_archives(client: FlaskClient, db_session: Session, admin_headers: Headers) -> None:
    product = make_product(db_session)
    client.get(f"/api/products/{product.id}")

    assert (
        client.patch(f"/api/products/{product.id}", json={"is_active": False}, headers=admin_headers).status_code == 200
    )

    assert client.get(f"/api/products/{product.id}").status_code == 404


def test_customers_cannot_restore_products(
    client: FlaskClient, db_session: Session, auth_headers: Callable[[User], Headers]
) -> None:
    product = make_product(db_session, is_active=False)
    response = client.patch(
        f"/api/products/{product.id}", json={"is_active": True}, headers=auth_headers(make_user(db_session))
    )
    assert response.status_code == 403


# ---------------------------------------------------------------- commands that write products


def test_seed_demo_is_listed_at_once(
    client: FlaskClient,
    other: FlaskClient,
    db_session: Session,
    make_app: Callable[..., Flask],
    share_test_transaction: Callable[[Flask], Flask],
) -> None:
    assert client.get("/api/products").get_json()["total"] == 0  # cached: an empty catalog
    assert other.get("/api/products?category=books").get_json()["total"] == 0
    development = share_test_transaction(make_app(APP_ENV="development"))  # seed-demo is for development

    result = development.test_cli_runner().invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    assert client.get("/api/products").get_json()["total"] == 50
    assert other.get("/api/products?category=books").get_json()["total"] == 10


# ---------------------------------------------------------------- the memory bound


def test_the_long_tail_of_list_queries_lives_briefly(
    client: FlaskClient, db_session: Session, redis_db: redis.Redis, app: Flask
) -> None:
    make_product(db_session, price="5.00")
    client.get("/api/products?page=1&per_page=20")
    client.get("/api/products?min_price=0.01")
    client.get("/api/products?q=product")
    client.get("/api/products?page=11")

    ttls = sorted(redis_db.ttl(key) for key in redis_db.scan_iter(redis_db.key("e:catalog:list:*")))

    tail = app.config["CATALOG_TAIL_TTL"]
    assert ttls[:3] == [pytest.approx(tail, abs=2)] * 3
    assert ttls[3] == pytest.approx(app.config["CATALOG_LIST_TTL"], abs=2)


def test_equal_prices_spelled_differently_share_an_entry(client: FlaskClient, db_session: Session) -> None:
    make_product(db_session, price="5.00")
    client.get("/api/products?min_price=5")

    with statements() as sent:
        client.get("/api/products?min_price=5.00")

    assert sent == []


def test_an_entry_over_the_size_cap_is_served_but_not_cached(
    make_app: Callable[..., Flask], app: Flask, db_session: Session, redis_db: redis.Redis
) -> None:
    with app.app_context():
        connection = db.engines[None]
    small = make_app(CACHE_MAX_ENTRY_BYTES=200)
    with small.app_context():
        db.engines[None] = connection
    make_product(db_session, description="x" * 500)

    response = small.test_client().get("/api/products")

    assert response.status_code == 200
    assert list(redis_db.scan_iter(redis_db.key("e:catalog:list:*"))) == []


def test_admin_listings_of_archived_products_are_not_cached(
    client: FlaskClient, db_session: Session, admin_headers: Headers, redis_db: redis.Redis
) -> None:
    make_product(db_session, is_active=False)

    assert client.get("/api/products?include_archived=true", headers=admin_headers).get_json()["total"] == 1

    assert list(redis_db.scan_iter(redis_db.key("e:catalog:list:*"))) == []


# ---------------------------------------------------------------- hits served before argument parsing


def test_a_hit_in_canonical_form_skips_parsing(
    client: FlaskClient, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.api import products

    make_product(db_session)
    client.get("/api/products?per_page=5&sort=name")
    monkeypatch.setattr(products.QUERY, "load", lambda *a, **k: pytest.fail("parsed on a hit"))

    response = client.get("/api/products?sort=name&per_page=5")  # any order, defaults left out or not

    assert response.status_code == 200
    assert client.get("/api/products?sort=name&per_page=5&page=1").status_code == 200


def test_a_query_string_never_cached_is_still_validated(client: FlaskClient, db_session: Session) -> None:
    make_product(db_session)
    client.get("/api/products")

    assert client.get("/api/products?per_page=0").status_code == 422
    assert client.get("/api/products?page=1&per_page=20&colour=red").status_code == 200  # unknown: ignored


def test_archived_listings_never_come_from_the_cache(
    client: FlaskClient, db_session: Session, admin_headers: Headers, auth_headers: Callable[[User], Headers]
) -> None:
    make_product(db_session, is_active=False)
    assert client.get("/api/products?include_archived=true", headers=admin_headers).status_code == 200

    assert client.get("/api/products?include_archived=true").status_code == 401
    assert (
        client.get("/api/products?include_archived=true", headers=auth_headers(make_user(db_session))).status_code
        == 403
    )
