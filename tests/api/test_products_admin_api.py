"""/api/products writes: admins create, replace, change and archive products; nobody else may."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Product, Sale, SaleProduct
from tests.builders import make_address, make_product, make_user, product_body
from tests.helpers import assert_problem, page_ids

pytestmark = pytest.mark.products

Headers = dict[str, str]
AppFactory = Callable[..., Flask]
ShareTransaction = Callable[[Flask], Flask]


# ---------------------------------------------------------------- create


@pytest.mark.admin
def test_admin_creates_a_product(client: FlaskClient, db_session: Session, admin_headers: Headers) -> None:
    response = client.post("/api/products", json=product_body(), headers=admin_headers)

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
    make_app: AppFactory, share_test_transaction: ShareTransaction, admin_headers: Headers
) -> None:
    euro_shop = share_test_transaction(make_app(SHOP_CURRENCY="EUR")).test_client()

    response = euro_shop.post("/api/products", json=product_body(), headers=admin_headers)

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

    assert_problem(client.post("/api/products", json=product_body(), headers=admin_headers), 409, "duplicate_sku")
    assert db_session.scalars(select(Product.name).where(Product.sku == "MUG-001")).all() == [existing.name]


def test_customers_cannot_create_products(client: FlaskClient, customer_headers: Headers) -> None:
    assert_problem(client.post("/api/products", json=product_body(), headers=customer_headers), 403, "forbidden")


def test_anonymous_clients_cannot_create_products(client: FlaskClient) -> None:
    assert_problem(client.post("/api/products", json=product_body()), 401, "missing_token")


# ---------------------------------------------------------------- replace and change


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

    response = client.patch(f"/api/products/{product.id}", json={"sku": "TAKEN"}, headers=admin_headers)

    assert_problem(response, 409, "duplicate_sku")
    db_session.expire_all()
    assert db_session.get(Product, product.id).sku == "MINE"  # type: ignore[union-attr]


@pytest.mark.admin
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_writes_to_an_unknown_product_are_404(client: FlaskClient, admin_headers: Headers, method: str) -> None:
    response = getattr(client, method)("/api/products/999999", json=product_body(), headers=admin_headers)

    assert_problem(response, 404, "product_not_found")


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_customers_cannot_change_products(
    client: FlaskClient, db_session: Session, customer_headers: Headers, method: str
) -> None:
    product = make_product(db_session)

    response = getattr(client, method)(f"/api/products/{product.id}", json=product_body(), headers=customer_headers)

    assert_problem(response, 403, "forbidden")


# ---------------------------------------------------------------- archive


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
    assert product.id not in page_ids(client.get("/api/products"))
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
