"""The `total` of a catalog list: exact after every change of what a filter matches, and counted again only then.

Each count is cached under the generations of the catalog's membership and of the product fields its filters
read (app/cache/counts.py), not under the catalog's own: an edit no filter can see keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Product, User
from app.repos.product_repo import CatalogQuery, ProductRepo
from tests.builders import make_product, product_body
from tests.helpers import buy, count_statements

pytestmark = [pytest.mark.products, pytest.mark.cache]

Headers = dict[str, str]


def total_of(client: FlaskClient, url: str) -> tuple[int, int]:
    """The list's `total`, and how many count statements answering it took."""
    with count_statements() as sql:
        response = client.get(url)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["total"], sum("count(*)" in s for s in sql.statements)


def matching(session: Session, **filters: Any) -> int:
    """What PostgreSQL counts for these filters right now."""
    session.expire_all()
    return ProductRepo(session).count(CatalogQuery(**filters))


def active(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Product).where(Product.is_active.is_(True))) or 0)


# ---------------------------------------------------------------- edits no filter sees keep the counts


@pytest.mark.admin
@pytest.mark.parametrize(
    "change",
    [
        {"image_url": "https://images.example.com/new.jpg"},
        {"sku": "RENAMED-SKU"},
        {"price": "7.77"},
        {"stock": 40},
    ],
    ids=["image", "sku", "price", "stock-within-in-stock"],
)
def test_an_edit_of_a_field_the_filters_do_not_read_keeps_the_count(
    client: FlaskClient, db_session: Session, admin_headers: Headers, change: dict[str, Any]
) -> None:
    product, _ = make_product(db_session, stock=5), make_product(db_session)
    assert total_of(client, "/api/products?per_page=1") == (2, 1)

    response = client.patch(f"/api/products/{product.id}", json=change, headers=admin_headers)
    assert response.status_code == 200

    assert response.get_json().items() >= change.items()
    assert total_of(client, "/api/products?per_page=1") == (2, 0)  # the page is new, its count is not


@pytest.mark.admin
def test_an_archived_products_edit_keeps_every_count(
    client: FlaskClient, db_session: Session, admin_headers: Headers
) -> None:
    archived = make_product(db_session, is_active=False, category="toys")
    for _ in range(2):
        make_product(db_session, category="toys")
    assert total_of(client, "/api/products?per_page=1&category=toys") == (2, 1)

    client.patch(f"/api/products/{archived.id}", json={"category": "books", "price": "1.00"}, headers=admin_headers)

    assert total_of(client, "/api/products?per_page=1&category=toys") == (2, 0)


@pytest.mark.parametrize(
    ("stock", "bought", "filters"),
    [(5, 2, ["in_stock=true", "category=general", "q=product"]), (1, 1, ["category=general", "q=product"])],
    ids=["leaves-stock", "sells-out"],
)
def test_a_sale_keeps_every_count_it_cannot_change(
    client: FlaskClient,
    db_session: Session,
    auth_headers: Callable[[User], Headers],
    stock: int,
    bought: int,
    filters: list[str],
) -> None:
    product, _ = make_product(db_session, stock=stock), make_product(db_session, stock=3)
    urls = ["/api/products?per_page=1", *(f"/api/products?per_page=1&{f}" for f in filters)]
    assert [total_of(client, url) for url in urls] == [(2, 1)] * len(urls)

    buy(client, db_session, auth_headers, product, bought)

    assert [total_of(client, url) for url in urls] == [(2, 0)] * len(urls)


# ---------------------------------------------------------------- every membership change: exact at once


@pytest.mark.admin
@pytest.mark.parametrize(
    ("filters", "change"),
    [
        ("", {"is_active": False}),
        ("category=toys", {"category": "books"}),
        ("min_price=5.00", {"price": "1.00"}),
        ("max_price=5.00", {"price": "1.00"}),
        ("q=lamp", {"name": "Desk lamp"}),
        ("q=lamp", {"description": "A reading lamp"}),
        ("in_stock=true", {"stock": 0}),
        ("in_stock=false", {"stock": 0}),
    ],
    ids=["archive", "category", "min-price", "max-price", "name", "description", "sold-out", "sold-out-listed"],
)
def test_an_admin_change_of_what_a_filter_reads_is_counted_at_once(
    client: FlaskClient, db_session: Session, admin_headers: Headers, filters: str, change: dict[str, Any]
) -> None:
    products = [make_product(db_session, price="9.00", category="toys", name="Table fan") for _ in range(3)]
    make_product(db_session, price="2.00", category="books", name="Desk lamp", stock=0)
    make_product(db_session, price="3.00", category="books", name="Floor lamp", stock=0)
    url = "/api/products?per_page=1" + (f"&{filters}" if filters else "")
    before, counted = total_of(client, url)
    assert counted == 1

    assert client.patch(f"/api/products/{products[0].id}", json=change, headers=admin_headers).status_code == 200

    query = dict(p.split("=") for p in filters.split("&") if p)
    after, counted = total_of(client, url)
    assert after == matching(db_session, **_typed(query))
    assert after != before
    assert counted == 1


def _typed(query: dict[str, str]) -> dict[str, Any]:
    from decimal import Decimal

    typed: dict[str, Any] = dict(query)
    for name in ("min_price", "max_price"):
        if name in typed:
            typed[name] = Decimal(typed[name])
    if "in_stock" in typed:
        typed["in_stock"] = typed["in_stock"] == "true"
    return typed


@pytest.mark.admin
def test_a_created_product_is_counted_at_once(client: FlaskClient, db_session: Session, admin_headers: Headers) -> None:
    for _ in range(2):
        make_product(db_session)
    assert total_of(client, "/api/products?per_page=1") == (2, 1)

    assert client.post("/api/products", json=product_body(), headers=admin_headers).status_code == 201

    assert total_of(client, "/api/products?per_page=1") == (3, 1) == (active(db_session), 1)


@pytest.mark.admin
def test_a_restored_product_is_counted_at_once(
    client: FlaskClient, db_session: Session, admin_headers: Headers
) -> None:
    archived = make_product(db_session, is_active=False)
    for _ in range(2):
        make_product(db_session)
    assert total_of(client, "/api/products?per_page=1") == (2, 1)

    client.patch(f"/api/products/{archived.id}", json={"is_active": True}, headers=admin_headers)

    assert total_of(client, "/api/products?per_page=1") == (3, 1) == (active(db_session), 1)


@pytest.mark.admin
def test_an_archived_product_is_no_longer_counted(
    client: FlaskClient, db_session: Session, admin_headers: Headers
) -> None:
    product = make_product(db_session)
    for _ in range(2):
        make_product(db_session)
    assert total_of(client, "/api/products?per_page=1") == (3, 1)

    assert client.delete(f"/api/products/{product.id}", headers=admin_headers).status_code == 204

    assert total_of(client, "/api/products?per_page=1") == (2, 1) == (active(db_session), 1)


def test_a_checkout_selling_the_last_unit_is_counted_at_once(
    client: FlaskClient, db_session: Session, auth_headers: Callable[[User], Headers]
) -> None:
    product = make_product(db_session, stock=1)
    for _ in range(2):
        make_product(db_session, stock=2)
    assert total_of(client, "/api/products?per_page=1&in_stock=true") == (3, 1)
    assert total_of(client, "/api/products?per_page=1&in_stock=false")[0] == 0

    buy(client, db_session, auth_headers, product, 1)

    assert total_of(client, "/api/products?per_page=1&in_stock=true") == (2, 1)
    assert total_of(client, "/api/products?per_page=1&in_stock=false")[0] == 1 == matching(db_session, in_stock=False)


@pytest.mark.admin
def test_a_cancellation_bringing_a_product_back_is_counted_at_once(
    client: FlaskClient, db_session: Session, auth_headers: Callable[[User], Headers], admin_headers: Headers
) -> None:
    product = make_product(db_session, stock=1)
    for _ in range(2):
        make_product(db_session, stock=2)
    sale = buy(client, db_session, auth_headers, product, 1)
    assert total_of(client, "/api/products?per_page=1&in_stock=true") == (2, 1)

    cancelled = client.patch(
        f"/api/sales/admin/sales/{sale['id']}", json={"status": "cancelled"}, headers=admin_headers
    )
    assert cancelled.status_code == 200, cancelled.get_json()

    assert total_of(client, "/api/products?per_page=1&in_stock=true") == (3, 1)
    assert matching(db_session, in_stock=True) == 3


# ---------------------------------------------------------------- counts outlive pages that are never stored


@pytest.fixture
def pages_off(make_app: Callable[..., Flask], share_test_transaction: Callable[[Flask], Flask]) -> FlaskClient:
    """An app that stores no list page (both list TTLs 0): every list read is a cache miss."""
    return share_test_transaction(make_app(CATALOG_LIST_TTL=0, CATALOG_TAIL_TTL=0)).test_client()


def test_with_pages_off_the_count_is_still_cached(
    pages_off: FlaskClient, db_session: Session, redis_db: redis.Redis, app: Flask
) -> None:
    for _ in range(3):
        make_product(db_session)
    assert total_of(pages_off, "/api/products?per_page=2") == (3, 1)

    with count_statements() as sql:
        body = pages_off.get("/api/products?per_page=2").get_json()

    assert (body["total"], sql.count) == (3, 1)  # the page only
    assert list(redis_db.scan_iter(redis_db.key("e:catalog:list:*"))) == []
    [count_key] = redis_db.scan_iter(redis_db.key("e:catalog:count:*"))
    assert redis_db.ttl(count_key) == pytest.approx(app.config["CATALOG_COUNT_TTL"], abs=2)


def test_with_pages_off_a_list_answers_as_a_cached_one_would(
    pages_off: FlaskClient, client: FlaskClient, db_session: Session
) -> None:
    for stock in (0, 3, 5):
        make_product(db_session, stock=stock)

    for url in ("/api/products?per_page=2", "/api/products?sort=price", "/api/products?q=product&in_stock=true"):
        uncached, cached = pages_off.get(url), client.get(url)
        assert uncached.status_code == cached.status_code == 200
        assert uncached.get_json() == cached.get_json() == client.get(url).get_json()


def test_with_pages_off_a_searchs_count_is_cached_too(pages_off: FlaskClient, db_session: Session) -> None:
    for _ in range(3):
        make_product(db_session)
    assert total_of(pages_off, "/api/products?per_page=2&q=product&min_price=1.00") == (3, 1)

    with count_statements() as sql:
        body = pages_off.get("/api/products?per_page=2&q=product&min_price=1.00").get_json()

    assert (body["total"], sql.count) == (3, 1)  # the page only, though CATALOG_TAIL_TTL is 0


def test_every_count_keeps_the_count_ttl(
    client: FlaskClient, db_session: Session, redis_db: redis.Redis, app: Flask
) -> None:
    for _ in range(3):
        make_product(db_session)
    client.get("/api/products?per_page=2&in_stock=true")
    client.get("/api/products?per_page=2&min_price=1.00")

    ttls = sorted(redis_db.ttl(key) for key in redis_db.scan_iter(redis_db.key("e:catalog:count:*")))

    assert ttls == [pytest.approx(app.config["CATALOG_COUNT_TTL"], abs=2)] * 2


def reads_of(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys of every cache read from now on (each one Redis round trip)."""
    from app.cache import store

    keys: list[str] = []
    read = store.read

    def counted(generation_keys: Any, entry_key: str, *args: Any) -> Any:
        keys.append(entry_key)
        return read(generation_keys, entry_key, *args)

    monkeypatch.setattr(store, "read", counted)
    return keys


@pytest.mark.parametrize(
    ("server", "entries"), [("pages_off", ["count"]), ("client", ["list", "count"])], ids=["pages-off", "pages-on"]
)
def test_a_list_miss_reads_each_entry_once(
    request: pytest.FixtureRequest,
    db_session: Session,
    monkeypatch: pytest.MonkeyPatch,
    server: str,
    entries: list[str],
) -> None:
    reader: FlaskClient = request.getfixturevalue(server)
    for _ in range(3):
        make_product(db_session)
    reads = reads_of(monkeypatch)

    reader.get("/api/products?per_page=2")  # in canonical form: looked up before parsing, and not again

    assert [key.split(":")[-2] for key in reads] == entries
