"""/api/products: catalog reads, admin writes, validation, and the caching that is never stale."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app import create_app
from app.config import Config
from app.extensions import db
from app.models import Product, Sale, SaleProduct, User
from app.models.base import utcnow
from tests.builders import make_address, make_product, make_user, start_session

pytestmark = pytest.mark.products

Headers = dict[str, str]
PRODUCT_FIELDS = {
    "id",
    "sku",
    "name",
    "description",
    "price",
    "currency",
    "stock",
    "in_stock",
    "category",
    "image_url",
    "is_active",
    "created_at",
    "updated_at",
}


# ---------------------------------------------------------------- helpers


@pytest.fixture
def admin(db_session: Session) -> User:
    return make_user(db_session, role="admin")


@pytest.fixture
def admin_headers(admin: User, auth_headers: Callable[[User], Headers]) -> Headers:
    return auth_headers(admin)


@pytest.fixture
def customer_headers(db_session: Session, auth_headers: Callable[[User], Headers]) -> Headers:
    return auth_headers(make_user(db_session))


@pytest.fixture
def bound_app(make_app: Callable[..., Flask], app: Flask, db_session: Session) -> Callable[..., Flask]:
    """Another app instance (another "process") on the test's connection, so its writes roll back too."""

    def build(**overrides: object) -> Flask:
        with app.app_context():
            connection = db.engines[None]
        other = make_app(**overrides)
        with other.app_context():
            db.engines[None] = connection
        return other

    return build


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_statements() -> Iterator[StatementCounter]:
    """Every SQL statement any engine sends while the block runs."""
    counter = StatementCounter()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counter.statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield counter
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["code"] == code
    return body


def ids(response: Any) -> list[int]:
    return [item["id"] for item in response.get_json()["items"]]


def valid_body(**fields: object) -> dict[str, object]:
    body: dict[str, object] = {
        "sku": "MUG-001",
        "name": "Coffee mug",
        "description": "A sturdy mug",
        "price": "12.50",
        "stock": 7,
        "category": "kitchen",
        "image_url": "https://img.example.com/mug.png",
    }
    body.update(fields)
    return body


# ---------------------------------------------------------------- public list


def test_list_shows_active_products_newest_first_in_a_page_envelope(client: FlaskClient, db_session: Session) -> None:
    now = utcnow()
    older = make_product(db_session, created_at=now - timedelta(days=2))
    newer = make_product(db_session, created_at=now - timedelta(days=1))

    response = client.get("/api/products")

    assert response.status_code == 200
    body = response.get_json()
    assert ids(response) == [newer.id, older.id]
    assert {k: body[k] for k in ("page", "per_page", "total", "pages")} == {
        "page": 1,
        "per_page": 20,
        "total": 2,
        "pages": 1,
    }
    assert set(body["items"][0]) == PRODUCT_FIELDS


def test_list_hides_archived_products(client: FlaskClient, db_session: Session) -> None:
    shown = make_product(db_session)
    make_product(db_session, is_active=False)

    assert ids(client.get("/api/products")) == [shown.id]


def test_pages_never_repeat_or_skip_products_with_equal_sort_keys(client: FlaskClient, db_session: Session) -> None:
    same_moment = utcnow()
    products = [make_product(db_session, price="5.00", created_at=same_moment) for _ in range(7)]

    for sort in ("-created_at", "price", "-price"):
        seen: list[int] = []
        for page in (1, 2, 3):
            seen += ids(client.get(f"/api/products?per_page=3&page={page}&sort={sort}"))
        assert sorted(seen) == sorted(p.id for p in products), sort
        assert len(seen) == len(set(seen)) == 7


def test_list_counts_total_and_pages(client: FlaskClient, db_session: Session) -> None:
    for _ in range(5):
        make_product(db_session)

    body = client.get("/api/products?per_page=2&page=2").get_json()

    assert (body["total"], body["pages"], len(body["items"])) == (5, 3, 2)


def test_a_page_past_the_end_is_empty_with_the_real_total(client: FlaskClient, db_session: Session) -> None:
    make_product(db_session)

    body = client.get("/api/products?page=9").get_json()

    assert (body["items"], body["total"], body["pages"]) == ([], 1, 1)


def test_list_filters_by_category(client: FlaskClient, db_session: Session) -> None:
    mug = make_product(db_session, category="kitchen")
    make_product(db_session, category="garden")

    assert ids(client.get("/api/products?category=kitchen")) == [mug.id]


def test_list_filters_by_price_range_inclusively(client: FlaskClient, db_session: Session) -> None:
    make_product(db_session, price="4.99")
    low = make_product(db_session, price="5.00")
    high = make_product(db_session, price="10.00")
    make_product(db_session, price="10.01")

    response = client.get("/api/products?min_price=5&max_price=10.00&sort=price")

    assert ids(response) == [low.id, high.id]


@pytest.mark.parametrize(("in_stock", "expected"), [("true", "stocked"), ("false", "sold_out")])
def test_list_filters_by_stock(client: FlaskClient, db_session: Session, in_stock: str, expected: str) -> None:
    products = {"stocked": make_product(db_session, stock=3), "sold_out": make_product(db_session, stock=0)}

    assert ids(client.get(f"/api/products?in_stock={in_stock}")) == [products[expected].id]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["apple", "banana", "cherry"]),
        ("-name", ["cherry", "banana", "apple"]),
        ("price", ["banana", "cherry", "apple"]),
        ("-price", ["apple", "cherry", "banana"]),
        ("created_at", ["cherry", "apple", "banana"]),
        ("-created_at", ["banana", "apple", "cherry"]),
    ],
)
def test_list_sorts(client: FlaskClient, db_session: Session, sort: str, expected: list[str]) -> None:
    now = utcnow()
    make_product(db_session, name="apple", price="3.00", created_at=now - timedelta(hours=2))
    make_product(db_session, name="banana", price="1.00", created_at=now - timedelta(hours=1))
    make_product(db_session, name="cherry", price="2.00", created_at=now - timedelta(hours=3))

    body = client.get(f"/api/products?sort={sort}").get_json()

    assert [item["name"] for item in body["items"]] == expected


# ---------------------------------------------------------------- search


def test_search_ranks_name_matches_above_description_matches(client: FlaskClient, db_session: Session) -> None:
    in_description = make_product(db_session, name="Kettle", description="Pairs well with a ceramic mug")
    in_name = make_product(db_session, name="Ceramic mug", description="Holds coffee")
    make_product(db_session, name="Teapot", description="Porcelain")

    response = client.get("/api/products?q=ceramic mug")

    assert ids(response) == [in_name.id, in_description.id]


def test_search_matches_word_prefixes_case_insensitively(client: FlaskClient, db_session: Session) -> None:
    laptop = make_product(db_session, name="Gaming LAPTOP", description="Fast")
    make_product(db_session, name="Desktop", description="Tower")

    assert ids(client.get("/api/products?q=lapt")) == [laptop.id]


def test_search_needs_every_word(client: FlaskClient, db_session: Session) -> None:
    both = make_product(db_session, name="Red wool scarf")
    make_product(db_session, name="Red cotton shirt")

    assert ids(client.get("/api/products?q=red%20wool")) == [both.id]


def test_search_combines_with_filters_and_an_explicit_sort(client: FlaskClient, db_session: Session) -> None:
    cheap = make_product(db_session, name="Blue mug", price="4.00", category="kitchen")
    dear = make_product(db_session, name="Blue mug deluxe", price="9.00", category="kitchen")
    make_product(db_session, name="Blue mug", price="4.00", category="garden")

    response = client.get("/api/products?q=mug&category=kitchen&sort=-price")

    assert ids(response) == [dear.id, cheap.id]


def test_search_with_only_punctuation_finds_nothing(client: FlaskClient, db_session: Session) -> None:
    make_product(db_session, name="Anything")

    body = client.get("/api/products?q=%26%7C!()%3A*").get_json()

    assert (body["items"], body["total"]) == ([], 0)


# ---------------------------------------------------------------- list query validation


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


# ---------------------------------------------------------------- include_archived


@pytest.mark.admin
def test_admins_can_list_archived_products(client: FlaskClient, db_session: Session, admin_headers: Headers) -> None:
    active = make_product(db_session)
    archived = make_product(db_session, is_active=False)

    response = client.get("/api/products?include_archived=true&sort=created_at", headers=admin_headers)

    assert response.status_code == 200
    assert ids(response) == [active.id, archived.id]
    assert response.get_json()["items"][1]["is_active"] is False


def test_customers_may_not_list_archived_products(client: FlaskClient, customer_headers: Headers) -> None:
    assert_problem(client.get("/api/products?include_archived=true", headers=customer_headers), 403, "forbidden")


def test_anonymous_clients_need_a_token_to_list_archived_products(client: FlaskClient) -> None:
    assert_problem(client.get("/api/products?include_archived=true"), 401, "missing_token")


def test_a_bad_token_does_not_break_public_browsing(client: FlaskClient, db_session: Session) -> None:
    make_product(db_session)

    response = client.get("/api/products", headers={"Authorization": "Bearer nonsense"})

    assert response.status_code == 200


# ---------------------------------------------------------------- detail


def test_detail_shows_exactly_the_product_fields(client: FlaskClient, db_session: Session) -> None:
    product = make_product(db_session, price="19.90", stock=0, sku="TEA-1", name="Tea", category="drinks")

    response = client.get(f"/api/products/{product.id}")

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == PRODUCT_FIELDS
    assert body["price"] == "19.90"
    assert body["currency"] == "USD"
    assert (body["sku"], body["name"], body["stock"], body["in_stock"]) == ("TEA-1", "Tea", 0, False)
    assert body["created_at"].endswith("Z")


def test_detail_of_an_archived_product_is_404(client: FlaskClient, db_session: Session) -> None:
    product = make_product(db_session, is_active=False)

    assert_problem(client.get(f"/api/products/{product.id}"), 404, "product_not_found")


@pytest.mark.parametrize("product_id", ["0", "-1", "999999", str(2**31), str(2**63), "abc", "1.5", "%00"])
def test_detail_of_an_unknown_or_malformed_id_is_404(client: FlaskClient, product_id: str) -> None:
    # A well-formed id names no product; anything else names no route at all.
    code = "product_not_found" if product_id == "999999" else "not_found"
    assert_problem(client.get(f"/api/products/{product_id}"), 404, code)


# ---------------------------------------------------------------- admin writes


@pytest.mark.admin
def test_admin_creates_a_product(client: FlaskClient, db_session: Session, admin_headers: Headers) -> None:
    response = client.post("/api/products", json=valid_body(), headers=admin_headers)

    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/products/{body['id']}")
    assert body["price"] == "12.50"
    assert (body["currency"], body["in_stock"], body["is_active"]) == ("USD", True, True)
    db_session.expire_all()
    stored = db_session.get(Product, body["id"])
    assert stored is not None
    assert (stored.sku, stored.price, stored.stock) == ("MUG-001", Decimal("12.50"), 7)


@pytest.mark.admin
def test_created_product_is_priced_in_the_shop_currency(
    bound_app: Callable[..., Flask], admin_headers: Headers
) -> None:
    euro_shop = bound_app(SHOP_CURRENCY="EUR").test_client()

    response = euro_shop.post("/api/products", json=valid_body(), headers=admin_headers)

    assert response.get_json()["currency"] == "EUR"


@pytest.mark.admin
def test_optional_fields_take_defaults_on_create(client: FlaskClient, admin_headers: Headers) -> None:
    response = client.post("/api/products", json={"sku": "A-1", "name": "A", "price": 1}, headers=admin_headers)

    assert response.status_code == 201
    body = response.get_json()
    assert (body["description"], body["stock"], body["category"], body["image_url"]) == ("", 0, None, None)


@pytest.mark.admin
def test_a_duplicate_sku_is_a_409(client: FlaskClient, db_session: Session, admin_headers: Headers) -> None:
    existing = make_product(db_session, sku="MUG-001", name="Original")
    db_session.commit()  # into the test's outer transaction: the request's rollback must not undo the setup

    assert_problem(client.post("/api/products", json=valid_body(), headers=admin_headers), 409, "duplicate_sku")
    db_session.expire_all()
    assert db_session.scalars(select(Product.name).where(Product.sku == "MUG-001")).all() == [existing.name]


def test_customers_cannot_create_products(client: FlaskClient, customer_headers: Headers) -> None:
    assert_problem(client.post("/api/products", json=valid_body(), headers=customer_headers), 403, "forbidden")


def test_anonymous_clients_cannot_create_products(client: FlaskClient) -> None:
    assert_problem(client.post("/api/products", json=valid_body()), 401, "missing_token")


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
    response = client.post("/api/products", json=valid_body(**{field: value}), headers=admin_headers)

    body = assert_problem(response, 422, "validation_error")
    assert field in body["errors"]
    assert db_session.scalar(select(Product.id).where(Product.sku == "MUG-001")) is None


@pytest.mark.admin
@pytest.mark.parametrize("field", ["sku", "name", "price"])
def test_create_requires_sku_name_and_price(client: FlaskClient, admin_headers: Headers, field: str) -> None:
    body = valid_body()
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
def test_put_replaces_every_field(client: FlaskClient, db_session: Session, admin_headers: Headers) -> None:
    product = make_product(db_session, category="old", image_url="https://example.com/old.png")

    response = client.put(
        f"/api/products/{product.id}",
        json={"sku": "NEW-1", "name": "New", "price": "2.00", "stock": 1},
        headers=admin_headers,
    )

    assert response.status_code == 200
    body = response.get_json()
    assert (body["sku"], body["name"], body["price"], body["category"], body["image_url"]) == (
        "NEW-1",
        "New",
        "2.00",
        None,
        None,
    )
    db_session.expire_all()
    assert db_session.get(Product, product.id).category is None  # type: ignore[union-attr]


@pytest.mark.admin
def test_put_needs_the_required_fields(client: FlaskClient, db_session: Session, admin_headers: Headers) -> None:
    product = make_product(db_session)

    response = client.put(f"/api/products/{product.id}", json={"name": "Only"}, headers=admin_headers)

    assert set(assert_problem(response, 422, "validation_error")["errors"]) == {"sku", "price"}


@pytest.mark.admin
def test_patch_changes_only_the_given_fields(client: FlaskClient, db_session: Session, admin_headers: Headers) -> None:
    product = make_product(db_session, price="9.99", stock=4, name="Same")

    response = client.patch(f"/api/products/{product.id}", json={"price": "7.25"}, headers=admin_headers)

    assert response.status_code == 200
    assert (response.get_json()["price"], response.get_json()["name"]) == ("7.25", "Same")
    db_session.expire_all()
    stored = db_session.get(Product, product.id)
    assert stored is not None
    assert (stored.price, stored.stock, stored.name) == (Decimal("7.25"), 4, "Same")


@pytest.mark.admin
def test_patch_to_another_products_sku_is_a_409(
    client: FlaskClient, db_session: Session, admin_headers: Headers
) -> None:
    make_product(db_session, sku="TAKEN")
    product = make_product(db_session, sku="MINE")
    db_session.commit()  # into the test's outer transaction: the request's rollback must not undo the setup

    response = client.patch(f"/api/products/{product.id}", json={"sku": "TAKEN"}, headers=admin_headers)

    assert_problem(response, 409, "duplicate_sku")
    db_session.expire_all()
    assert db_session.get(Product, product.id).sku == "MINE"  # type: ignore[union-attr]


@pytest.mark.admin
@pytest.mark.parametrize(("field", "value"), [p for p in BAD_FIELDS if p.values[0] in {"price", "stock", "name"}])
def test_patch_rejects_bad_fields(
    client: FlaskClient, db_session: Session, admin_headers: Headers, field: str, value: object
) -> None:
    product = make_product(db_session)

    response = client.patch(f"/api/products/{product.id}", json={field: value}, headers=admin_headers)

    assert field in assert_problem(response, 422, "validation_error")["errors"]


@pytest.mark.admin
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_writes_to_an_unknown_product_are_404(client: FlaskClient, admin_headers: Headers, method: str) -> None:
    response = getattr(client, method)("/api/products/999999", json=valid_body(), headers=admin_headers)

    assert_problem(response, 404, "product_not_found")


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_customers_cannot_change_products(
    client: FlaskClient, db_session: Session, customer_headers: Headers, method: str
) -> None:
    product = make_product(db_session)

    response = getattr(client, method)(f"/api/products/{product.id}", json=valid_body(), headers=customer_headers)

    assert_problem(response, 403, "forbidden")


@pytest.mark.admin
def test_delete_archives_the_product(client: FlaskClient, db_session: Session, admin_headers: Headers) -> None:
    product = make_product(db_session)

    response = client.delete(f"/api/products/{product.id}", headers=admin_headers)

    assert response.status_code == 204
    assert response.data == b""
    db_session.expire_all()
    assert db_session.get(Product, product.id).is_active is False  # type: ignore[union-attr]
    assert_problem(client.get(f"/api/products/{product.id}"), 404, "product_not_found")


@pytest.mark.admin
def test_deleting_twice_is_still_204(client: FlaskClient, db_session: Session, admin_headers: Headers) -> None:
    product = make_product(db_session)
    client.delete(f"/api/products/{product.id}", headers=admin_headers)

    assert client.delete(f"/api/products/{product.id}", headers=admin_headers).status_code == 204


@pytest.mark.admin
def test_archived_products_stay_in_past_sales(client: FlaskClient, db_session: Session, admin_headers: Headers) -> None:
    buyer = make_user(db_session)
    address = make_address(db_session, buyer)
    product = make_product(db_session, sku="OLD-1", name="Old lamp", price="30.00")
    sale = Sale(
        user_id=buyer.id,
        currency="USD",
        subtotal=Decimal("60.00"),
        tax=Decimal("0.00"),
        total=Decimal("60.00"),
        delivery_address_id=address.id,
        delivery_address={"line1": address.line1},
    )
    db_session.add(sale)
    db_session.flush()
    db_session.add(
        SaleProduct(
            sale_id=sale.id,
            product_id=product.id,
            sku="OLD-1",
            name="Old lamp",
            unit_price=Decimal("30.00"),
            quantity=2,
            line_total=Decimal("60.00"),
        )
    )
    db_session.flush()

    assert client.delete(f"/api/products/{product.id}", headers=admin_headers).status_code == 204

    assert_problem(client.get(f"/api/products/{product.id}"), 404, "product_not_found")
    assert product.id not in ids(client.get("/api/products"))
    db_session.expire_all()
    line = db_session.scalars(select(SaleProduct).where(SaleProduct.sale_id == sale.id)).one()
    assert (line.product_id, line.sku, line.name, line.unit_price) == (
        product.id,
        "OLD-1",
        "Old lamp",
        Decimal("30.00"),
    )
    stored = db_session.get(Product, product.id)
    assert stored is not None and stored.is_active is False


@pytest.mark.admin
def test_admins_can_still_edit_an_archived_product(
    client: FlaskClient, db_session: Session, admin_headers: Headers
) -> None:
    product = make_product(db_session, is_active=False)

    response = client.patch(f"/api/products/{product.id}", json={"stock": 3}, headers=admin_headers)

    assert response.status_code == 200
    assert (response.get_json()["stock"], response.get_json()["is_active"]) == (3, False)


# ---------------------------------------------------------------- caching: hits, statement counts, keys


@pytest.mark.cache
@pytest.mark.parametrize("url", ["/api/products?per_page=5", "/api/products/{id}"])
def test_a_cached_read_issues_no_sql(client: FlaskClient, db_session: Session, url: str) -> None:
    product = make_product(db_session)
    url = url.format(id=product.id)
    first = client.get(url)

    with count_statements() as sql:
        second = client.get(url)

    assert sql.count == 0, sql.statements
    assert second.status_code == 200
    assert second.get_json() == first.get_json()


@pytest.mark.cache
@pytest.mark.parametrize("per_page", [1, 20, 100])
def test_an_uncached_list_page_costs_at_most_two_statements(
    client: FlaskClient, db_session: Session, per_page: int
) -> None:
    for _ in range(101):  # every page size below is a full page, so the count runs too
        make_product(db_session)

    with count_statements() as sql:
        response = client.get(f"/api/products?per_page={per_page}&q=product&in_stock=true")

    assert (response.status_code, len(response.get_json()["items"])) == (200, per_page)
    assert sql.count <= 2, sql.statements


@pytest.mark.cache
def test_an_uncached_detail_read_costs_one_statement(client: FlaskClient, db_session: Session) -> None:
    product = make_product(db_session)

    with count_statements() as sql:
        response = client.get(f"/api/products/{product.id}")

    assert response.status_code == 200
    assert sql.count == 1, sql.statements


@pytest.mark.cache
def test_the_count_of_a_filter_set_is_reused_across_its_pages(client: FlaskClient, db_session: Session) -> None:
    for _ in range(5):
        make_product(db_session)
    client.get("/api/products?per_page=2&page=1")

    with count_statements() as sql:
        body = client.get("/api/products?per_page=2&page=2").get_json()

    assert sql.count == 1, sql.statements  # the page only; the total came from the cache
    assert body["total"] == 5


@pytest.mark.cache
def test_parameter_order_does_not_split_the_cache(client: FlaskClient, db_session: Session) -> None:
    make_product(db_session)
    client.get("/api/products?page=1&per_page=5&sort=name")

    with count_statements() as sql:
        response = client.get("/api/products?sort=name&per_page=5&page=1")

    assert response.status_code == 200
    assert sql.count == 0


@pytest.mark.cache
def test_different_pages_are_different_entries(client: FlaskClient, db_session: Session) -> None:
    first, second = make_product(db_session), make_product(db_session)

    page_one = ids(client.get("/api/products?per_page=1&page=1&sort=created_at"))
    page_two = ids(client.get("/api/products?per_page=1&page=2&sort=created_at"))

    assert (page_one, page_two) == ([first.id], [second.id])


@pytest.mark.cache
def test_entries_live_for_the_configured_ttls(client: FlaskClient, db_session: Session, redis_db: redis.Redis) -> None:
    product = make_product(db_session)
    client.get("/api/products")
    client.get(f"/api/products/{product.id}")

    ttls = {
        key.decode().split(":")[3]: redis_db.ttl(key)
        for key in redis_db.scan_iter("ecommerce-test:e:catalog:*")
        if key.decode().split(":")[3] in {"list", "product"}
    }

    assert 1790 <= ttls["list"] <= 1800
    assert 3590 <= ttls["product"] <= 3600


@pytest.mark.cache
def test_a_404_is_not_cached(client: FlaskClient, db_session: Session) -> None:
    product = make_product(db_session, is_active=False)
    db_session.commit()  # into the test's outer transaction: the 404's rollback must not undo the setup
    assert client.get(f"/api/products/{product.id}").status_code == 404

    product.is_active = True  # straight in the database: no generation bump
    db_session.flush()

    assert client.get(f"/api/products/{product.id}").status_code == 200


# ---------------------------------------------------------------- caching: ETag and 304


@pytest.mark.cache
@pytest.mark.parametrize("url", ["/api/products", "/api/products/{id}"])
def test_a_matching_etag_gets_304_without_a_body(client: FlaskClient, db_session: Session, url: str) -> None:
    product = make_product(db_session)
    url = url.format(id=product.id)
    etag = client.get(url).headers["ETag"]

    with count_statements() as sql:
        response = client.get(url, headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert sql.count == 0


@pytest.mark.cache
def test_a_stale_etag_gets_the_new_body(client: FlaskClient, db_session: Session, admin_headers: Headers) -> None:
    product = make_product(db_session, price="1.00")
    etag = client.get(f"/api/products/{product.id}").headers["ETag"]
    client.patch(f"/api/products/{product.id}", json={"price": "2.00"}, headers=admin_headers)

    response = client.get(f"/api/products/{product.id}", headers={"If-None-Match": etag})

    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    assert response.get_json()["price"] == "2.00"


# ---------------------------------------------------------------- caching: never stale


@pytest.mark.cache
@pytest.mark.admin
def test_a_created_product_is_listed_on_the_next_read(
    client: FlaskClient, db_session: Session, admin_headers: Headers
) -> None:
    client.get("/api/products")  # cache the list without it

    created = client.post("/api/products", json=valid_body(), headers=admin_headers).get_json()

    assert ids(client.get("/api/products")) == [created["id"]]


@pytest.mark.cache
@pytest.mark.admin
@pytest.mark.parametrize(
    ("method", "body"),
    [("patch", {"price": "3.33"}), ("put", {"sku": "S-2", "name": "Renamed", "price": "3.33"})],
)
def test_a_changed_product_is_fresh_on_the_next_read(
    client: FlaskClient, db_session: Session, admin_headers: Headers, method: str, body: dict[str, str]
) -> None:
    product = make_product(db_session, price="1.00")
    client.get(f"/api/products/{product.id}")
    client.get("/api/products")

    getattr(client, method)(f"/api/products/{product.id}", json=body, headers=admin_headers)

    assert client.get(f"/api/products/{product.id}").get_json()["price"] == "3.33"
    assert client.get("/api/products").get_json()["items"][0]["price"] == "3.33"


@pytest.mark.cache
@pytest.mark.admin
def test_an_archived_product_leaves_cached_reads_at_once(
    client: FlaskClient, db_session: Session, admin_headers: Headers
) -> None:
    product = make_product(db_session)
    client.get(f"/api/products/{product.id}")
    client.get("/api/products")

    client.delete(f"/api/products/{product.id}", headers=admin_headers)

    assert client.get(f"/api/products/{product.id}").status_code == 404
    assert ids(client.get("/api/products")) == []


@pytest.mark.cache
@pytest.mark.admin
def test_a_write_bumps_one_generation_and_deletes_nothing(
    client: FlaskClient, db_session: Session, admin_headers: Headers, redis_db: redis.Redis
) -> None:
    product = make_product(db_session)
    for page in range(1, 6):
        client.get(f"/api/products?page={page}")
    generation = int(redis_db.get("ecommerce-test:g:catalog") or 0)
    keys_before = set(redis_db.scan_iter("ecommerce-test:e:catalog:*"))

    client.patch(f"/api/products/{product.id}", json={"stock": 1}, headers=admin_headers)

    assert int(redis_db.get("ecommerce-test:g:catalog") or 0) > generation
    assert keys_before <= set(redis_db.scan_iter("ecommerce-test:e:catalog:*"))  # old entries just expire


@pytest.mark.cache
@pytest.mark.admin
def test_a_failed_write_leaves_the_cache_alone(
    client: FlaskClient, db_session: Session, admin_headers: Headers, redis_db: redis.Redis
) -> None:
    client.get("/api/products")
    generation = redis_db.get("ecommerce-test:g:catalog")

    client.post("/api/products", json=valid_body(price="1.005"), headers=admin_headers)

    assert redis_db.get("ecommerce-test:g:catalog") == generation


@pytest.mark.cache
@pytest.mark.admin
def test_another_app_instance_sees_a_write_on_its_next_read(
    client: FlaskClient, db_session: Session, admin_headers: Headers, bound_app: Callable[..., Flask]
) -> None:
    product = make_product(db_session, price="1.00")
    other = bound_app().test_client()
    assert other.get(f"/api/products/{product.id}").get_json()["price"] == "1.00"
    assert other.get("/api/products").get_json()["items"][0]["price"] == "1.00"

    client.patch(f"/api/products/{product.id}", json={"price": "5.55"}, headers=admin_headers)

    assert other.get(f"/api/products/{product.id}").get_json()["price"] == "5.55"
    assert other.get("/api/products").get_json()["items"][0]["price"] == "5.55"


# ---------------------------------------------------------------- caching: development log lines


@pytest.fixture
def cache_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The app's loggers do not propagate to the root, so attach pytest's handler to app.cache itself."""
    logger = logging.getLogger("app.cache")
    level = logger.level  # each app sets it from its DEBUG flag when built
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    yield caplog
    logger.removeHandler(caplog.handler)
    logger.setLevel(level)


def cache_records(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    """app.cache records at `level`, each once (a record may reach pytest's handler by two paths)."""
    unique = {id(r): r for r in caplog.records if r.name == "app.cache" and r.levelno == level}
    return list(unique.values())


@pytest.mark.cache
def test_debug_mode_logs_misses_hits_and_invalidations(
    bound_app: Callable[..., Flask],
    db_session: Session,
    admin_headers: Headers,
    cache_log: pytest.LogCaptureFixture,
) -> None:
    product = make_product(db_session)
    debug_client = bound_app(DEBUG=True).test_client()

    debug_client.get(f"/api/products/{product.id}")
    debug_client.get(f"/api/products/{product.id}")
    debug_client.get("/api/products")
    debug_client.patch(f"/api/products/{product.id}", json={"stock": 2}, headers=admin_headers)

    messages = [r.getMessage() for r in cache_records(cache_log, logging.DEBUG)]
    assert any(m.startswith(f"CACHE MISS: product {product.id} - Cached for 3600s") for m in messages)
    assert any(m.startswith(f"CACHE HIT: product {product.id}") for m in messages)
    assert any(m.startswith("CACHE MISS: product list - Cached for 1800s") for m in messages)
    assert "catalog cache invalidated" in messages


@pytest.mark.cache
def test_without_debug_the_cache_lines_are_not_logged(
    bound_app: Callable[..., Flask], db_session: Session, cache_log: pytest.LogCaptureFixture
) -> None:
    bound_app(DEBUG=False).test_client().get("/api/products")

    assert not [r for r in cache_records(cache_log, logging.DEBUG) if r.getMessage().startswith("CACHE")]


# ---------------------------------------------------------------- caching: Redis down

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.mark.cache
def test_reads_are_served_from_the_database_when_redis_is_down(
    bound_app: Callable[..., Flask], db_session: Session
) -> None:
    product = make_product(db_session)
    down = bound_app(CACHE_REDIS_URL=DEAD_REDIS).test_client()

    started = time.monotonic()
    responses = [down.get(f"/api/products/{product.id}") for _ in range(10)]
    responses += [down.get("/api/products") for _ in range(10)]
    elapsed = time.monotonic() - started

    assert [r.status_code for r in responses] == [200] * 20
    assert ids(responses[-1]) == [product.id]
    assert elapsed < 2.0


@pytest.mark.cache
@pytest.mark.admin
def test_admin_writes_succeed_when_redis_is_down(
    bound_app: Callable[..., Flask], db_session: Session, admin_headers: Headers
) -> None:
    product = make_product(db_session)
    down = bound_app(CACHE_REDIS_URL=DEAD_REDIS).test_client()

    started = time.monotonic()
    created = down.post("/api/products", json=valid_body(), headers=admin_headers)
    changed = down.patch(f"/api/products/{product.id}", json={"price": "4.44"}, headers=admin_headers)
    archived = down.delete(f"/api/products/{product.id}", headers=admin_headers)
    elapsed = time.monotonic() - started

    assert (created.status_code, changed.status_code, archived.status_code) == (201, 200, 204)
    assert elapsed < 2.0
    db_session.expire_all()
    assert db_session.get(Product, created.get_json()["id"]) is not None
    assert db_session.get(Product, product.id).is_active is False  # type: ignore[union-attr]


@pytest.mark.cache
def test_a_dead_redis_is_reported_by_health_and_warned_about_once(
    bound_app: Callable[..., Flask], db_session: Session, cache_log: pytest.LogCaptureFixture
) -> None:
    make_product(db_session)
    down = bound_app(CACHE_REDIS_URL=DEAD_REDIS, CACHE_RETRY_AFTER_SECONDS=0).test_client()

    for _ in range(5):
        assert down.get("/api/products").status_code == 200

    assert down.get("/api/health").get_json()["cache"] == "error"
    assert len(cache_records(cache_log, logging.WARNING)) == 1


@pytest.mark.cache
def test_caching_resumes_by_itself_when_redis_is_back(
    bound_app: Callable[..., Flask], db_session: Session, app: Flask
) -> None:
    product = make_product(db_session)
    flaky = bound_app(CACHE_REDIS_URL=DEAD_REDIS, CACHE_RETRY_AFTER_SECONDS=0.2)
    reader = flaky.test_client()
    assert reader.get(f"/api/products/{product.id}").status_code == 200  # fails, opens the breaker

    with flaky.app_context():  # Redis "comes back": the same backend now reaches the live server
        backend = flaky.extensions["cache_store"]
        backend.__init__(app.config["REDIS_URL"], socket_timeout=0.25, socket_connect_timeout=0.25)
        live = backend.client
    time.sleep(0.25)  # the breaker's window passes

    reader.get(f"/api/products/{product.id}")
    with count_statements() as sql:
        hit = reader.get(f"/api/products/{product.id}")

    assert hit.status_code == 200
    assert sql.count == 0
    live.close()


@pytest.mark.cache
@pytest.mark.admin
def test_a_write_during_a_redis_outage_is_not_hidden_by_older_entries_afterwards(
    bound_app: Callable[..., Flask], db_session: Session, admin_headers: Headers, app: Flask
) -> None:
    product = make_product(db_session, price="1.00")
    flaky = bound_app(CACHE_RETRY_AFTER_SECONDS=0.2)
    flaky_client = flaky.test_client()
    assert flaky_client.get(f"/api/products/{product.id}").get_json()["price"] == "1.00"  # cached
    with flaky.app_context():
        backend = flaky.extensions["cache_store"]
        backend.__init__(DEAD_REDIS, socket_timeout=0.25, socket_connect_timeout=0.25)  # unreachable (entries survive)
        dead = backend.client

    changed = flaky_client.patch(f"/api/products/{product.id}", json={"price": "2.00"}, headers=admin_headers)
    assert changed.status_code == 200
    with flaky.app_context():
        # Back, still holding the old entry.
        backend.__init__(app.config["REDIS_URL"], socket_timeout=0.25, socket_connect_timeout=0.25)
    time.sleep(0.25)

    assert flaky_client.get(f"/api/products/{product.id}").get_json()["price"] == "2.00"
    dead.close()


# ---------------------------------------------------------------- OpenAPI


def test_the_spec_documents_every_catalog_operation(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    listing, item = paths["/api/products"], paths["/api/products/{product_id}"]

    query = {p["name"] for p in listing["get"]["parameters"] if p["in"] == "query"}
    assert query == {
        "page",
        "per_page",
        "q",
        "category",
        "min_price",
        "max_price",
        "in_stock",
        "sort",
        "include_archived",
    }
    for operation in (listing["get"], item["get"]):
        assert {"200", "304"} <= set(operation["responses"])
        assert "If-None-Match" in {p["name"] for p in operation["parameters"]}
    assert "404" in item["get"]["responses"]
    for operation, statuses in [
        (listing["post"], {"201", "401", "403", "409", "422"}),
        (item["put"], {"200", "401", "403", "404", "409", "422"}),
        (item["patch"], {"200", "401", "403", "404", "409", "422"}),
        (item["delete"], {"204", "401", "403", "404"}),
    ]:
        assert operation["security"] == [{"bearerAuth": []}]
        assert statuses <= set(operation["responses"])
        assert operation["summary"]


# ---------------------------------------------------------------- the embedded default (make dev)


@pytest.mark.embedded
def test_the_catalog_works_on_sqlite_without_redis(tmp_path: Path, rsa_keys: dict[str, str]) -> None:
    embedded = create_app(
        Config({}), SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'dev.db'}", PASSWORD_HASH_PROFILE="fast", **rsa_keys
    )
    runner = embedded.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with embedded.app_context():
        admin_user = make_user(db.session, role="admin")
        headers = {"Authorization": f"Bearer {start_session(db.session, admin_user).access}"}
        db.session.commit()
    sqlite_client = embedded.test_client()

    searched = sqlite_client.get("/api/products?q=wireless mouse")
    mouse_id = ids(searched)[0]
    first_etag = sqlite_client.get(f"/api/products/{mouse_id}").headers["ETag"]
    changed = sqlite_client.patch(f"/api/products/{mouse_id}", json={"price": "19.99"}, headers=headers)
    detail = sqlite_client.get(f"/api/products/{mouse_id}", headers={"If-None-Match": first_etag})

    assert [item["name"] for item in searched.get_json()["items"]] == ["Wireless Mouse"]
    assert changed.status_code == 200
    assert (detail.status_code, detail.get_json()["price"]) == (200, "19.99")
    assert sqlite_client.get("/api/products?category=electronics&sort=price").get_json()["total"] == 10
    with embedded.app_context():
        db.session.remove()
        db.engine.dispose()
