"""The cart: add, change, remove, empty, live prices and the per-user cached total."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cache import keys
from app.models import Cart, CartProduct, User
from tests.builders import make_cart, make_product, make_user

pytestmark = pytest.mark.sales

Headers = Callable[[User], dict[str, str]]


def cart_lines(session: Session, user: User) -> dict[int, int]:
    rows = session.execute(
        select(CartProduct.product_id, CartProduct.quantity).join(Cart).where(Cart.user_id == user.id)
    ).all()
    return {product_id: quantity for product_id, quantity in rows}


def test_empty_cart_is_shown_without_creating_one(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session)
    response = client.get("/api/sales/cart", headers=auth_headers(user))
    assert response.status_code == 200
    assert response.get_json() == {"items": [], "item_count": 0, "total": "0.00", "currency": "USD"}
    assert db_session.scalars(select(Cart).where(Cart.user_id == user.id)).first() is None


def test_add_item_creates_the_cart_and_a_line(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    product = make_product(db_session, price="4.50", stock=10)
    response = client.post(
        "/api/sales/cart/items", json={"product_id": product.id, "quantity": 3}, headers=auth_headers(user)
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["items"] == [
        {
            "product_id": product.id,
            "name": product.name,
            "unit_price": "4.50",
            "quantity": 3,
            "line_total": "13.50",
            "available": True,
        }
    ]
    assert body["item_count"] == 3
    assert body["total"] == "13.50"
    assert cart_lines(db_session, user) == {product.id: 3}


def test_adding_the_same_product_increases_the_line(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session)
    product = make_product(db_session, stock=10)
    headers = auth_headers(user)
    client.post("/api/sales/cart/items", json={"product_id": product.id, "quantity": 2}, headers=headers)
    response = client.post("/api/sales/cart/items", json={"product_id": product.id, "quantity": 3}, headers=headers)
    assert response.status_code == 201
    assert cart_lines(db_session, user) == {product.id: 5}


def test_adding_more_than_in_stock_is_a_409(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    product = make_product(db_session, stock=2)
    response = client.post(
        "/api/sales/cart/items", json={"product_id": product.id, "quantity": 3}, headers=auth_headers(user)
    )
    assert response.status_code == 409
    body = response.get_json()
    assert body["code"] == "insufficient_stock"
    assert body["products"] == [{"product_id": product.id, "requested": 3, "available": 2}]
    assert cart_lines(db_session, user) == {}


def test_increasing_a_line_beyond_stock_is_a_409_and_keeps_the_line(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session)
    product = make_product(db_session, stock=4)
    make_cart(db_session, user, {product: 3})
    response = client.post(
        "/api/sales/cart/items", json={"product_id": product.id, "quantity": 2}, headers=auth_headers(user)
    )
    assert response.status_code == 409
    assert response.get_json()["products"] == [{"product_id": product.id, "requested": 5, "available": 4}]
    assert cart_lines(db_session, user) == {product.id: 3}


def test_a_line_cannot_exceed_999_units(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    product = make_product(db_session, stock=5000)
    make_cart(db_session, user, {product: 998})
    response = client.post(
        "/api/sales/cart/items", json={"product_id": product.id, "quantity": 2}, headers=auth_headers(user)
    )
    assert response.status_code == 422
    assert "quantity" in response.get_json()["errors"]
    assert cart_lines(db_session, user) == {product.id: 998}


@pytest.mark.parametrize(
    "body",
    [
        {"product_id": 1, "quantity": 0},
        {"product_id": 1, "quantity": -1},
        {"product_id": 1, "quantity": 1000},
        {"product_id": 1, "quantity": "2"},
        {"product_id": 1, "quantity": 1.5},
        {"product_id": 1, "quantity": True},
        {"product_id": "x", "quantity": 1},
        {"product_id": 1, "quantity": 1, "price": "0.01"},
        {"quantity": 1},
    ],
    ids=["zero", "negative", "over-999", "string", "fraction", "boolean", "bad-id", "unknown-field", "no-product"],
)
def test_bad_cart_item_is_a_422(
    client: FlaskClient, db_session: Session, auth_headers: Headers, body: dict[str, object]
) -> None:
    user = make_user(db_session)
    response = client.post("/api/sales/cart/items", json=body, headers=auth_headers(user))
    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"


def test_adding_an_archived_product_is_a_404(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    product = make_product(db_session, is_active=False)
    response = client.post(
        "/api/sales/cart/items", json={"product_id": product.id, "quantity": 1}, headers=auth_headers(user)
    )
    assert response.status_code == 404
    assert response.get_json()["code"] == "product_not_found"


def test_adding_an_unknown_product_is_a_404(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    response = client.post(
        "/api/sales/cart/items", json={"product_id": 2_000_000, "quantity": 1}, headers=auth_headers(user)
    )
    assert response.status_code == 404


def test_patch_sets_the_quantity(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    product = make_product(db_session, stock=10)
    make_cart(db_session, user, {product: 1})
    response = client.patch(f"/api/sales/cart/items/{product.id}", json={"quantity": 7}, headers=auth_headers(user))
    assert response.status_code == 200
    assert response.get_json()["item_count"] == 7
    assert cart_lines(db_session, user) == {product.id: 7}


def test_patch_to_zero_removes_the_line(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    product = make_product(db_session)
    make_cart(db_session, user, {product: 2})
    response = client.patch(f"/api/sales/cart/items/{product.id}", json={"quantity": 0}, headers=auth_headers(user))
    assert response.status_code == 200
    assert response.get_json()["items"] == []
    assert cart_lines(db_session, user) == {}


def test_patch_beyond_stock_is_a_409(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    product = make_product(db_session, stock=3)
    make_cart(db_session, user, {product: 1})
    response = client.patch(f"/api/sales/cart/items/{product.id}", json={"quantity": 4}, headers=auth_headers(user))
    assert response.status_code == 409
    assert response.get_json()["code"] == "insufficient_stock"
    assert cart_lines(db_session, user) == {product.id: 1}


def test_patch_of_a_product_not_in_the_cart_is_a_404(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session)
    product = make_product(db_session)
    make_cart(db_session, user, {})
    response = client.patch(f"/api/sales/cart/items/{product.id}", json={"quantity": 1}, headers=auth_headers(user))
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_in_cart"


def test_delete_removes_one_line(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    kept, removed = make_product(db_session), make_product(db_session)
    make_cart(db_session, user, {kept: 1, removed: 2})
    response = client.delete(f"/api/sales/cart/items/{removed.id}", headers=auth_headers(user))
    assert response.status_code == 204
    assert cart_lines(db_session, user) == {kept.id: 1}


def test_delete_of_a_missing_line_is_a_404(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    response = client.delete("/api/sales/cart/items/12345", headers=auth_headers(user))
    assert response.status_code == 404


def test_delete_cart_empties_it(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    make_cart(db_session, user, {make_product(db_session): 1, make_product(db_session): 2})
    response = client.delete("/api/sales/cart", headers=auth_headers(user))
    assert response.status_code == 204
    assert cart_lines(db_session, user) == {}


def test_cart_shows_live_prices_and_unavailable_lines(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session)
    cheap = make_product(db_session, price="2.00", stock=5)
    archived = make_product(db_session, price="3.00", stock=5)
    short = make_product(db_session, price="1.25", stock=5)
    make_cart(db_session, user, {cheap: 1, archived: 1, short: 4})
    cheap.price = Decimal("2.50")
    archived.is_active = False
    short.stock = 3
    db_session.flush()
    body = client.get("/api/sales/cart", headers=auth_headers(user)).get_json()
    by_id = {item["product_id"]: item for item in body["items"]}
    assert by_id[cheap.id]["unit_price"] == "2.50"
    assert by_id[cheap.id]["available"] is True
    assert by_id[archived.id]["available"] is False
    assert by_id[short.id]["available"] is False
    assert body["total"] == "10.50"
    assert body["item_count"] == 6


def test_cart_needs_a_token(client: FlaskClient) -> None:
    response = client.get("/api/sales/cart")
    assert response.status_code == 401


# --- cached total ------------------------------------------------------------------------------


def test_cart_total_is_cached_per_user(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    alice, bob = make_user(db_session), make_user(db_session)
    make_cart(db_session, alice, {make_product(db_session, price="5.00"): 2})
    make_cart(db_session, bob, {make_product(db_session, price="1.00"): 1})
    first = client.get("/api/sales/cart/total", headers=auth_headers(alice))
    assert first.get_json() == {"item_count": 2, "total": "10.00", "currency": "USD"}
    assert client.get("/api/sales/cart/total", headers=auth_headers(bob)).get_json() == {
        "item_count": 1,
        "total": "1.00",
        "currency": "USD",
    }
    assert client.get("/api/sales/cart/total", headers=auth_headers(alice)).get_json()["total"] == "10.00"


def test_cart_total_is_served_from_the_cache(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    product = make_product(db_session, price="5.00")
    make_cart(db_session, user, {product: 1})
    headers = auth_headers(user)
    client.get("/api/sales/cart/total", headers=headers)
    # A change behind the service's back (no generation bump) is not seen: the hit skipped the database.
    db_session.execute(CartProduct.__table__.update().values(quantity=9))
    assert client.get("/api/sales/cart/total", headers=headers).get_json()["item_count"] == 1


def test_cart_total_is_fresh_after_a_cart_write(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session)
    product = make_product(db_session, price="5.00", stock=10)
    headers = auth_headers(user)
    assert client.get("/api/sales/cart/total", headers=headers).get_json()["total"] == "0.00"
    client.post("/api/sales/cart/items", json={"product_id": product.id, "quantity": 2}, headers=headers)
    assert client.get("/api/sales/cart/total", headers=headers).get_json()["total"] == "10.00"
    client.delete("/api/sales/cart", headers=headers)
    assert client.get("/api/sales/cart/total", headers=headers).get_json()["total"] == "0.00"


def test_cart_total_is_fresh_after_a_price_change(
    app: Flask, client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session)
    product = make_product(db_session, price="5.00")
    make_cart(db_session, user, {product: 2})
    headers = auth_headers(user)
    assert client.get("/api/sales/cart/total", headers=headers).get_json()["total"] == "10.00"
    product.price = Decimal("6.00")  # as the catalog service does: write, commit, bump the catalog
    db_session.flush()
    with app.app_context():
        keys.bump(keys.CATALOG)
    assert client.get("/api/sales/cart/total", headers=headers).get_json()["total"] == "12.00"


def test_cart_total_sends_an_etag_and_answers_304(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session)
    headers = auth_headers(user)
    first = client.get("/api/sales/cart/total", headers=headers)
    again = client.get("/api/sales/cart/total", headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
