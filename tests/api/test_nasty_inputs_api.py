"""Hostile and careless input across the API: always a 4xx problem document, never a 5xx, nothing half-stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import CartProduct, Product, Sale, User
from tests.builders import make_address, make_product, make_user

MIB = 1024 * 1024
JSON = "application/json"


def price(value: object) -> dict[str, Any]:
    return {"sku": "NASTY-1", "name": "Nasty", "price": value, "stock": 1}


# (id, method, path, raw body or JSON value, content type, who); "{product}" is a real product id.
CASES: list[Any] = [
    pytest.param("POST", "/api/products", "{bad", JSON, "admin", id="malformed-json"),
    pytest.param("POST", "/api/products", '{"sku": "X"', JSON, "admin", id="truncated-json"),
    pytest.param("POST", "/api/products", "sku=X", "application/x-www-form-urlencoded", "admin", id="form-body"),
    pytest.param("POST", "/api/products", "sku", "text/plain", "admin", id="text-body"),
    pytest.param("POST", "/api/products", [price("1.00")], JSON, "admin", id="array-for-object"),
    pytest.param("POST", "/api/products", "null", JSON, "admin", id="null-body"),
    pytest.param("POST", "/api/products", '"a string"', JSON, "admin", id="string-body"),
    pytest.param("POST", "/api/products", "x" * (2 * MIB), JSON, "admin", id="2-mib-body"),
    pytest.param("POST", "/api/products", "[" * 100_000 + "]" * 100_000, JSON, "admin", id="deep-nesting"),
    pytest.param("POST", "/api/products", price("NaN"), JSON, "admin", id="nan-price"),
    pytest.param("POST", "/api/products", '{"sku":"N","name":"N","price":NaN,"stock":1}', JSON, "admin", id="nan-lit"),
    pytest.param("POST", "/api/products", '{"sku":"N","name":"N","price":Infinity,"stock":1}', JSON, "admin", id="inf"),
    pytest.param("POST", "/api/products", price("1e3"), JSON, "admin", id="exponent-price"),
    pytest.param("POST", "/api/products", '{"sku":"N","name":"N","price":1e400,"stock":1}', JSON, "admin", id="1e400"),
    pytest.param("POST", "/api/products", price("-5.00"), JSON, "admin", id="negative-price"),
    pytest.param("POST", "/api/products", price("19.999"), JSON, "admin", id="three-places"),
    pytest.param("POST", "/api/products", {**price("1.00"), "stock": 2**63}, JSON, "admin", id="stock-2-63"),
    pytest.param("POST", "/api/products", {**price("1.00"), "stock": -1}, JSON, "admin", id="negative-stock"),
    pytest.param("POST", "/api/products", {**price("1.00"), "stock": 1.5}, JSON, "admin", id="fractional-stock"),
    pytest.param("POST", "/api/products", {**price("1.00"), "name": "x" * 10_000}, JSON, "admin", id="overlong-name"),
    pytest.param("POST", "/api/products", {**price("1.00"), "name": "a\u0000b"}, JSON, "admin", id="nul-in-name"),
    pytest.param(
        "POST", "/api/products", {**price("1.00"), "image_url": "javascript:alert(1)"}, JSON, "admin", id="script-url"
    ),
    pytest.param(
        "POST",
        "/api/users/register",
        {"email": "x@example.com", "password": "p" * 100_000, "name": "X"},
        JSON,
        None,
        id="megabyte-password",
    ),
    pytest.param(
        "POST",
        "/api/users/register",
        {"email": "<script>@x", "password": "long enough", "name": "X"},
        JSON,
        None,
        id="html-email",
    ),
    pytest.param(
        "POST", "/api/sales/cart/items", {"product_id": 2**63, "quantity": 1}, JSON, "customer", id="product-id-2-63"
    ),
    pytest.param(
        "POST",
        "/api/sales/cart/items",
        {"product_id": "{product}", "quantity": 10**100},
        JSON,
        "customer",
        id="quantity-googol",
    ),
    pytest.param(
        "POST",
        "/api/sales/cart/items",
        {"product_id": "{product}", "quantity": True},
        JSON,
        "customer",
        id="quantity-true",
    ),
    pytest.param(
        "POST",
        "/api/sales/cart/items",
        {"product_id": "{product}", "quantity": -3},
        JSON,
        "customer",
        id="quantity-negative",
    ),
    pytest.param(
        "POST", "/api/sales/checkout", {"delivery_address_id": "1; DROP TABLE sales"}, JSON, "customer", id="sql-in-id"
    ),
    pytest.param("GET", "/api/products/99999999999999999999999", None, None, None, id="id-past-2-63"),
    pytest.param("GET", "/api/products/-1", None, None, None, id="negative-id"),
    pytest.param("GET", "/api/products?per_page=1000000000", None, None, None, id="huge-per-page"),
    pytest.param("GET", "/api/products?page=99999999999999999999", None, None, None, id="huge-page"),
    pytest.param("GET", "/api/products?min_price=NaN", None, None, None, id="nan-filter"),
    pytest.param("GET", "/api/products?sort=;DROP TABLE products", None, None, None, id="sql-sort"),
    pytest.param("GET", "/api/sales/admin/sales?date_from=2026-13-45", None, None, "admin", id="bad-date"),
]


@pytest.fixture
def principals(db_session: Session, auth_headers: Callable[[User], dict[str, str]]) -> dict[str, Any]:
    admin = make_user(db_session, role="admin")
    customer = make_user(db_session)
    make_address(db_session, customer, is_default=True)
    product = make_product(db_session, stock=5)
    headers = {None: {}, "admin": auth_headers(admin), "customer": auth_headers(customer)}
    return {"headers": headers, "product": product.id}


def counts(session: Session) -> tuple[int, ...]:
    return tuple(session.scalar(select(func.count()).select_from(m)) or 0 for m in (Product, User, Sale, CartProduct))


@pytest.mark.parametrize(("method", "path", "body", "content_type", "who"), CASES)
def test_nasty_input_is_a_4xx_problem_and_stores_nothing(
    client: FlaskClient,
    db_session: Session,
    principals: dict[str, Any],
    method: str,
    path: str,
    body: Any,
    content_type: str | None,
    who: str | None,
) -> None:
    before = counts(db_session)
    if body is not None and not isinstance(body, str):
        import json

        body = json.dumps(body).replace('"{product}"', str(principals["product"]))
    response = client.open(
        path, method=method, data=body, content_type=content_type, headers=principals["headers"][who]
    )
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == response.status_code
    assert counts(db_session) == before


@pytest.mark.parametrize(
    "q",
    [
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "%_%",
        "\\",
        "日本語",
        "🛒 cart",
        "a" * 500,
        "); DROP TABLE products;",
    ],
)
def test_search_treats_metacharacters_as_text(client: FlaskClient, db_session: Session, q: str) -> None:
    make_product(db_session, name="Plain kettle")
    response = client.get("/api/products", query_string={"q": q})
    assert response.status_code in (200, 422)
    if response.status_code == 200:
        assert all("kettle" not in item["name"].lower() for item in response.get_json()["items"])


def test_unicode_and_emoji_names_are_stored_exactly(
    client: FlaskClient, principals: dict[str, Any], db_session: Session
) -> None:
    name = "Tée ☕ – 日本 🛒"
    response = client.post("/api/products", json=price("3.50") | {"name": name}, headers=principals["headers"]["admin"])
    assert response.status_code == 201
    assert client.get(f"/api/products/{response.get_json()['id']}").get_json()["name"] == name
