"""/api/products input: bad query parameters and bad product bodies are 422 problems that store nothing."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Product
from tests.builders import make_product, product_body
from tests.helpers import assert_problem

pytestmark = pytest.mark.products

Headers = dict[str, str]


# ---------------------------------------------------------------- list query


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=abc", "per_page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=99999999999999999999", "page"),
        ("sort=stock", "sort"),
        ("sort=id;drop", "sort"),
        ("min_price=1.005", "min_price"),
        ("min_price=NaN", "min_price"),
        ("max_price=Infinity", "max_price"),
        ("max_price=1e3", "max_price"),
        ("min_price=-1", "min_price"),
        ("min_price=10&max_price=5", "min_price"),
        ("in_stock=maybe", "in_stock"),
        ("q=" + "x" * 201, "q"),
        ("category=a%00b", "category"),
    ],
    ids=lambda value: value[:30] if isinstance(value, str) else value,
)
def test_list_rejects_bad_query_parameters(client: FlaskClient, db_session: Session, query: str, field: str) -> None:
    body = assert_problem(client.get(f"/api/products?{query}"), 422, "validation_error")

    assert field in body["errors"]


# ---------------------------------------------------------------- product bodies


BAD_FIELDS = [
    pytest.param("price", "1.005", id="price-three-places"),
    pytest.param("price", "NaN", id="price-nan-string"),
    pytest.param("price", "Infinity", id="price-infinity"),
    pytest.param("price", "-Infinity", id="price-minus-infinity"),
    pytest.param("price", "1e3", id="price-exponent"),
    pytest.param("price", "-0.01", id="price-negative"),
    pytest.param("price", "10000000000.00", id="price-too-large"),
    pytest.param("price", "", id="price-empty"),
    pytest.param("price", True, id="price-bool"),
    pytest.param("price", None, id="price-null"),
    pytest.param("price", [1], id="price-list"),
    pytest.param("stock", -1, id="stock-negative"),
    pytest.param("stock", 1.5, id="stock-fraction"),
    pytest.param("stock", "5", id="stock-string"),
    pytest.param("stock", 2**31, id="stock-too-large"),
    pytest.param("stock", True, id="stock-bool"),
    pytest.param("sku", "", id="sku-empty"),
    pytest.param("sku", "   ", id="sku-blank"),
    pytest.param("sku", "x" * 65, id="sku-too-long"),
    pytest.param("sku", 42, id="sku-number"),
    pytest.param("name", "", id="name-empty"),
    pytest.param("name", "x" * 201, id="name-too-long"),
    pytest.param("name", "a\x00b", id="name-nul"),
    pytest.param("description", "d" * 10_001, id="description-too-long"),
    pytest.param("description", "\x00", id="description-nul"),
    pytest.param("category", "c" * 81, id="category-too-long"),
    pytest.param("category", "", id="category-empty"),
    pytest.param("image_url", "javascript:alert(1)", id="url-javascript"),
    pytest.param("image_url", "ftp://example.com/a.png", id="url-ftp"),
    pytest.param("image_url", "not a url", id="url-garbage"),
    pytest.param("image_url", "https://example.com/" + "a" * 2040, id="url-too-long"),
    pytest.param("is_active", False, id="unknown-is_active"),
    pytest.param("id", 5, id="unknown-id"),
    pytest.param("currency", "EUR", id="unknown-currency"),
]


@pytest.mark.admin
@pytest.mark.parametrize(("field", "value"), BAD_FIELDS)
def test_create_rejects_bad_fields(
    client: FlaskClient, db_session: Session, admin_headers: Headers, field: str, value: object
) -> None:
    response = client.post("/api/products", json=product_body(**{field: value}), headers=admin_headers)

    body = assert_problem(response, 422, "validation_error")
    assert field in body["errors"]
    assert db_session.scalar(select(Product.id).where(Product.sku == "MUG-001")) is None


@pytest.mark.admin
@pytest.mark.parametrize("field", ["sku", "name", "price"])
def test_create_requires_sku_name_and_price(client: FlaskClient, admin_headers: Headers, field: str) -> None:
    body = product_body()
    del body[field]

    problem = assert_problem(client.post("/api/products", json=body, headers=admin_headers), 422, "validation_error")
    assert field in problem["errors"]


@pytest.mark.admin
def test_a_nan_literal_price_is_malformed_json(client: FlaskClient, admin_headers: Headers) -> None:
    raw = '{"sku": "X", "name": "X", "price": NaN}'
    response = client.post("/api/products", data=raw, content_type="application/json", headers=admin_headers)

    assert_problem(response, 400, "malformed_json")


@pytest.mark.admin
def test_a_json_number_price_with_two_places_is_exact(client: FlaskClient, admin_headers: Headers) -> None:
    raw = '{"sku": "X", "name": "X", "price": 0.29}'
    response = client.post("/api/products", data=raw, content_type="application/json", headers=admin_headers)

    assert response.get_json()["price"] == "0.29"


@pytest.mark.admin
def test_put_needs_the_required_fields(client: FlaskClient, db_session: Session, admin_headers: Headers) -> None:
    product = make_product(db_session)

    response = client.put(f"/api/products/{product.id}", json={"name": "Only"}, headers=admin_headers)

    assert set(assert_problem(response, 422, "validation_error")["errors"]) == {"sku", "price"}


@pytest.mark.admin
@pytest.mark.parametrize(("field", "value"), [p for p in BAD_FIELDS if p.values[0] in {"price", "stock", "name"}])
def test_patch_rejects_bad_fields(
    client: FlaskClient, db_session: Session, admin_headers: Headers, field: str, value: object
) -> None:
    product = make_product(db_session)

    response = client.patch(f"/api/products/{product.id}", json={field: value}, headers=admin_headers)

    assert field in assert_problem(response, 422, "validation_error")["errors"]
