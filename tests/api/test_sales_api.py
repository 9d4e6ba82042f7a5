"""Checkout, sales history, cancellation, invoices and the admin sales list and analytics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.models import Cart, CartProduct, IdempotencyKey, Invoice, Product, Sale, User
from app.repos.sale_repo import SaleRepo
from tests.builders import make_address, make_cart, make_product, make_user
from tests.helpers import count_statements

pytestmark = pytest.mark.sales

Headers = Callable[[User], dict[str, str]]


def stock_of(session: Session, product: Product) -> int:
    return int(session.scalars(select(Product.stock).where(Product.id == product.id)).one())


def sale_count(session: Session) -> int:
    return int(session.scalar(select(func.count(Sale.id))) or 0)


def checkout(client: FlaskClient, headers: dict[str, str], address_id: int, **extra: object):  # type: ignore[no-untyped-def]
    key = extra.pop("key", None)
    if key is not None:
        headers = {**headers, "Idempotency-Key": str(key)}
    return client.post("/api/sales/checkout", json={"delivery_address_id": address_id, **extra}, headers=headers)


def bought(session: Session, *, price: str = "10.00", stock: int = 10, quantity: int = 1) -> tuple[User, Product, int]:
    """A customer with an address and `quantity` of a fresh product in the cart."""
    user = make_user(session)
    product = make_product(session, price=price, stock=stock)
    address = make_address(session, user)
    make_cart(session, user, {product: quantity})
    return user, product, address.id


# --- checkout ----------------------------------------------------------------------------------


def test_checkout_creates_a_sale_with_snapshots_and_an_invoice(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session, name="Ada Buyer")
    tea = make_product(db_session, price="3.50", stock=10, name="Tea")
    mug = make_product(db_session, price="12.00", stock=5, name="Mug")
    address = make_address(db_session, user, city="Paris", country="FR")
    make_cart(db_session, user, {tea: 3, mug: 1})

    response = checkout(client, auth_headers(user), address.id, notes="leave at the door")

    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending"
    assert body["user_id"] == user.id
    assert (body["subtotal"], body["tax"], body["total"], body["currency"]) == ("22.50", "0.00", "22.50", "USD")
    assert body["notes"] == "leave at the door"
    assert body["delivery_address"]["city"] == "Paris"
    assert [
        (line["product_id"], line["unit_price"], line["quantity"], line["line_total"]) for line in body["lines"]
    ] == [
        (tea.id, "3.50", 3, "10.50"),
        (mug.id, "12.00", 1, "12.00"),
    ]
    assert body["lines"][0]["sku"] == tea.sku
    assert body["invoice"]["number"].startswith("INV-")
    assert stock_of(db_session, tea) == 7
    assert stock_of(db_session, mug) == 4
    assert db_session.scalars(select(CartProduct).join(Cart).where(Cart.user_id == user.id)).all() == []


def test_checkout_applies_the_configured_tax_rate(
    client: FlaskClient, app: Flask, db_session: Session, auth_headers: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.extensions, "shop", replace(app.extensions["shop"], tax_rate=Decimal("0.075")))
    user, _product, address_id = bought(db_session, price="9.99", quantity=3)
    body = checkout(client, auth_headers(user), address_id).get_json()
    assert (body["subtotal"], body["tax"], body["total"]) == ("29.97", "2.25", "32.22")


def test_sale_keeps_the_price_paid_after_a_price_change(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user, product, address_id = bought(db_session, price="10.00", quantity=2)
    headers = auth_headers(user)
    sale_id = checkout(client, headers, address_id).get_json()["id"]
    original_name = product.name
    product.price = Decimal("99.00")
    product.name = "Renamed"
    db_session.flush()
    sale = client.get(f"/api/sales/{sale_id}", headers=headers).get_json()
    invoice = client.get(f"/api/sales/{sale_id}/invoice", headers=headers).get_json()
    assert (sale["lines"][0]["unit_price"], sale["lines"][0]["name"]) == ("10.00", original_name)
    assert (invoice["lines"][0]["unit_price"], invoice["lines"][0]["name"]) == ("10.00", original_name)
    assert invoice["total"] == "20.00"


def test_checkout_of_an_empty_cart_is_a_422(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    address = make_address(db_session, user)
    response = checkout(client, auth_headers(user), address.id)
    assert response.status_code == 422
    assert response.get_json()["code"] == "cart_empty"
    assert sale_count(db_session) == 0


def test_checkout_short_of_stock_is_a_409_naming_each_product_and_takes_nothing(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session)
    plenty = make_product(db_session, stock=10)
    short_a = make_product(db_session, stock=1)
    short_b = make_product(db_session, stock=0)
    address = make_address(db_session, user)
    make_cart(db_session, user, {plenty: 2, short_a: 3, short_b: 1})
    response = checkout(client, auth_headers(user), address.id)
    assert response.status_code == 409
    body = response.get_json()
    assert body["code"] == "insufficient_stock"
    assert body["products"] == [
        {"product_id": short_a.id, "requested": 3, "available": 1},
        {"product_id": short_b.id, "requested": 1, "available": 0},
    ]
    assert stock_of(db_session, plenty) == 10
    assert sale_count(db_session) == 0


def test_checkout_with_an_archived_product_is_a_409(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user, product, address_id = bought(db_session)
    product.is_active = False
    db_session.flush()
    response = checkout(client, auth_headers(user), address_id)
    assert response.status_code == 409
    assert response.get_json()["code"] == "product_unavailable"
    assert sale_count(db_session) == 0


def test_checkout_to_another_users_address_is_a_404(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user, product, _address_id = bought(db_session)
    other_address = make_address(db_session, make_user(db_session))
    response = checkout(client, auth_headers(user), other_address.id)
    assert response.status_code == 404
    assert response.get_json()["code"] == "address_not_found"
    assert stock_of(db_session, product) == 10
    assert sale_count(db_session) == 0


def test_checkout_to_a_missing_address_is_a_404(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user, _product, _address_id = bought(db_session)
    assert checkout(client, auth_headers(user), 999_999).status_code == 404


@pytest.mark.parametrize(
    "body",
    [{}, {"delivery_address_id": "1"}, {"delivery_address_id": 0}, {"delivery_address_id": 1, "total": "0.01"}],
    ids=["missing-address", "string-id", "zero-id", "unknown-field"],
)
def test_bad_checkout_body_is_a_422(
    client: FlaskClient, db_session: Session, auth_headers: Headers, body: dict[str, object]
) -> None:
    user, _product, _address_id = bought(db_session)
    response = client.post("/api/sales/checkout", json=body, headers=auth_headers(user))
    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"


# --- idempotency -------------------------------------------------------------------------------


def test_retry_with_the_same_key_replays_the_sale_without_taking_stock_again(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user, product, address_id = bought(db_session, quantity=2)
    headers = auth_headers(user)
    first = checkout(client, headers, address_id, key="order-1")
    again = checkout(client, headers, address_id, key="order-1")
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert stock_of(db_session, product) == 8
    assert sale_count(db_session) == 1


def test_same_key_with_a_different_body_is_a_422(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user, _product, address_id = bought(db_session)
    headers = auth_headers(user)
    checkout(client, headers, address_id, key="order-2")
    response = checkout(client, headers, address_id, key="order-2", notes="changed")
    assert response.status_code == 422
    assert response.get_json()["code"] == "idempotency_key_reused"
    assert sale_count(db_session) == 1


def test_idempotency_keys_are_scoped_per_user(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    alice, _p1, alice_address = bought(db_session)
    bob, _p2, bob_address = bought(db_session)
    alice_sale = checkout(client, auth_headers(alice), alice_address, key="shared").get_json()
    bob_response = checkout(client, auth_headers(bob), bob_address, key="shared")
    assert bob_response.status_code == 201
    assert "Idempotent-Replayed" not in bob_response.headers
    assert bob_response.get_json()["id"] != alice_sale["id"]
    assert bob_response.get_json()["user_id"] == bob.id


def test_failed_checkout_does_not_keep_its_key(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user, product, address_id = bought(db_session, stock=1, quantity=2)
    headers = auth_headers(user)
    assert checkout(client, headers, address_id, key="retry-me").status_code == 409
    assert db_session.scalars(select(IdempotencyKey)).all() == []
    product.stock = 5
    db_session.flush()
    assert checkout(client, headers, address_id, key="retry-me").status_code == 201


@pytest.mark.parametrize(
    "key", ["", "x" * 256, "bad\u00e9key", "tab\there"], ids=["empty", "too-long", "non-ascii", "control"]
)
def test_invalid_idempotency_key_is_a_400(
    client: FlaskClient, db_session: Session, auth_headers: Headers, key: str
) -> None:
    user, _product, address_id = bought(db_session)
    response = client.post(
        "/api/sales/checkout",
        json={"delivery_address_id": address_id},
        headers={**auth_headers(user), "Idempotency-Key": key.encode("utf-8").decode("latin-1")},
    )
    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_header"
    assert sale_count(db_session) == 0


# --- statement count ---------------------------------------------------------------------------


def test_checkout_issues_the_same_number_of_statements_for_1_and_20_lines(
    client: FlaskClient, app: Flask, db_session: Session, auth_headers: Headers
) -> None:
    counts = []
    for lines in (1, 20):
        user = make_user(db_session)
        address = make_address(db_session, user)
        make_cart(db_session, user, {make_product(db_session): 1 for _ in range(lines)})
        headers = auth_headers(user)
        with count_statements() as sql:
            response = checkout(client, headers, address.id, key=f"count-{lines}")
        assert response.status_code == 201
        assert len(response.get_json()["lines"]) == lines
        counts.append(sql.count)
    assert counts[0] == counts[1], counts  # how many: tests/services/test_sale_service.py


def test_adding_to_the_cart_issues_three_statements(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session)
    product, other = make_product(db_session, stock=5), make_product(db_session, stock=5)
    headers = auth_headers(user)
    counts = []
    for added in (product, product, other):  # a new cart, a new item, then a second item
        with count_statements() as sql:
            response = client.post(
                "/api/sales/cart/items", json={"product_id": added.id, "quantity": 1}, headers=headers
            )
        assert response.status_code == 201
        counts.append(sql.count)

    # the product; the cart's upsert and the item's, in one statement; the cart as committed, read in the
    # same transaction
    assert counts == [3, 3, 3]
    assert [(item["product_id"], item["quantity"]) for item in response.get_json()["items"]] == [
        (product.id, 2),
        (other.id, 1),
    ]


# --- history and detail ------------------------------------------------------------------------


def test_own_sales_are_listed_newest_first_and_paginated(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session)
    address = make_address(db_session, user)
    headers = auth_headers(user)
    ids = []
    for _ in range(3):
        product = make_product(db_session)
        client.post("/api/sales/cart/items", json={"product_id": product.id, "quantity": 1}, headers=headers)
        ids.append(checkout(client, headers, address.id).get_json()["id"])
    other, _p, other_address = bought(db_session)
    checkout(client, auth_headers(other), other_address)

    page = client.get("/api/sales?per_page=2", headers=headers).get_json()
    assert [s["id"] for s in page["items"]] == [ids[2], ids[1]]
    assert (page["page"], page["per_page"], page["total"], page["pages"]) == (1, 2, 3, 2)
    second = client.get("/api/sales?per_page=2&page=2", headers=headers).get_json()
    assert [s["id"] for s in second["items"]] == [ids[0]]


def test_list_with_per_page_out_of_range_is_a_422(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    response = client.get("/api/sales?per_page=101", headers=auth_headers(make_user(db_session)))
    assert response.status_code == 422


def test_another_users_sale_is_a_404(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    owner, _product, address_id = bought(db_session)
    sale_id = checkout(client, auth_headers(owner), address_id).get_json()["id"]
    intruder = auth_headers(make_user(db_session))
    assert client.get(f"/api/sales/{sale_id}", headers=intruder).status_code == 404
    assert client.get(f"/api/sales/{sale_id}/invoice", headers=intruder).status_code == 404
    response = client.post(f"/api/sales/{sale_id}/cancel", headers=intruder)
    assert response.status_code == 404
    db_session.expire_all()
    assert db_session.get(Sale, sale_id).status == "pending"  # type: ignore[union-attr]


def test_admin_sees_any_sale_and_its_invoice(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    owner, _product, address_id = bought(db_session)
    sale_id = checkout(client, auth_headers(owner), address_id).get_json()["id"]
    admin = auth_headers(make_user(db_session, role="admin"))
    assert client.get(f"/api/sales/{sale_id}", headers=admin).status_code == 200
    assert client.get(f"/api/sales/{sale_id}/invoice", headers=admin).status_code == 200


def test_invoice_holds_seller_buyer_address_lines_and_totals(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session, name="Grace Buyer")
    product = make_product(db_session, price="7.25", name="Lamp")
    address = make_address(db_session, user, city="Lyon")
    make_cart(db_session, user, {product: 2})
    headers = auth_headers(user)
    sale = checkout(client, headers, address.id).get_json()
    invoice = client.get(f"/api/sales/{sale['id']}/invoice", headers=headers).get_json()
    assert invoice["number"] == sale["invoice"]["number"]
    assert invoice["number"].startswith(f"INV-{invoice['issued_at'][:4]}-")
    assert invoice["issued_at"].endswith("Z")
    assert invoice["seller"] == {"name": "Ecommerce Backend Shop"}
    assert invoice["buyer"] == {"name": "Grace Buyer", "email": user.email}
    assert invoice["delivery_address"]["city"] == "Lyon"
    assert invoice["lines"] == [
        {
            "product_id": product.id,
            "sku": product.sku,
            "name": "Lamp",
            "unit_price": "7.25",
            "quantity": 2,
            "line_total": "14.50",
        }
    ]
    assert (invoice["subtotal"], invoice["tax"], invoice["total"], invoice["currency"]) == (
        "14.50",
        "0.00",
        "14.50",
        "USD",
    )
    assert invoice["cancelled_at"] is None


def test_invoice_numbers_follow_each_other(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    numbers = []
    for _ in range(2):
        user, _product, address_id = bought(db_session)
        numbers.append(checkout(client, auth_headers(user), address_id).get_json()["invoice"]["number"])
    first, second = (int(n.rsplit("-", 1)[1]) for n in numbers)
    assert second == first + 1


# --- cancellation ------------------------------------------------------------------------------


def test_owner_cancels_a_pending_sale_and_stock_returns(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user, product, address_id = bought(db_session, stock=10, quantity=4)
    headers = auth_headers(user)
    sale_id = checkout(client, headers, address_id).get_json()["id"]
    assert stock_of(db_session, product) == 6
    response = client.post(f"/api/sales/{sale_id}/cancel", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "cancelled"
    assert body["cancelled_at"].endswith("Z")
    assert body["invoice"]["cancelled_at"] is not None
    assert stock_of(db_session, product) == 10
    invoice = client.get(f"/api/sales/{sale_id}/invoice", headers=headers).get_json()
    assert invoice["cancelled_at"] is not None
    assert invoice["total"] == body["total"]


def test_cancelling_twice_restocks_once(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user, product, address_id = bought(db_session, stock=10, quantity=4)
    headers = auth_headers(user)
    sale_id = checkout(client, headers, address_id).get_json()["id"]
    client.post(f"/api/sales/{sale_id}/cancel", headers=headers)
    response = client.post(f"/api/sales/{sale_id}/cancel", headers=headers)
    assert response.status_code == 409
    assert response.get_json()["code"] == "invalid_transition"
    assert stock_of(db_session, product) == 10


def test_owner_cannot_cancel_a_paid_sale(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user, product, address_id = bought(db_session, stock=10, quantity=1)
    headers = auth_headers(user)
    sale_id = checkout(client, headers, address_id).get_json()["id"]
    admin = auth_headers(make_user(db_session, role="admin"))
    client.patch(f"/api/sales/admin/sales/{sale_id}", json={"status": "paid"}, headers=admin)
    response = client.post(f"/api/sales/{sale_id}/cancel", headers=headers)
    assert response.status_code == 409
    assert response.get_json()["code"] == "invalid_transition"
    assert stock_of(db_session, product) == 9


def test_admin_cancels_a_paid_sale(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user, product, address_id = bought(db_session, stock=10, quantity=3)
    sale_id = checkout(client, auth_headers(user), address_id).get_json()["id"]
    admin = auth_headers(make_user(db_session, role="admin"))
    client.patch(f"/api/sales/admin/sales/{sale_id}", json={"status": "paid"}, headers=admin)
    response = client.post(f"/api/sales/{sale_id}/cancel", headers=admin)
    assert response.status_code == 200
    assert stock_of(db_session, product) == 10


# --- admin status flow -------------------------------------------------------------------------


def test_admin_moves_a_sale_along_the_status_flow(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user, _product, address_id = bought(db_session)
    sale_id = checkout(client, auth_headers(user), address_id).get_json()["id"]
    admin = auth_headers(make_user(db_session, role="admin"))
    for status in ("paid", "shipped", "delivered"):
        response = client.patch(f"/api/sales/admin/sales/{sale_id}", json={"status": status}, headers=admin)
        assert response.status_code == 200
        assert response.get_json()["status"] == status
    db_session.expire_all()
    assert db_session.get(Sale, sale_id).status == "delivered"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ((), "shipped"),
        ((), "delivered"),
        ((), "pending"),
        (("paid", "shipped"), "cancelled"),
        (("paid", "shipped"), "paid"),
        (("cancelled",), "paid"),
    ],
    ids=[
        "pending-to-shipped",
        "pending-to-delivered",
        "pending-to-pending",
        "shipped-to-cancelled",
        "backwards",
        "from-cancelled",
    ],
)
def test_other_status_moves_are_a_409(
    client: FlaskClient, db_session: Session, auth_headers: Headers, path: tuple[str, ...], target: str
) -> None:
    user, _product, address_id = bought(db_session)
    sale_id = checkout(client, auth_headers(user), address_id).get_json()["id"]
    admin = auth_headers(make_user(db_session, role="admin"))
    for status in path:
        assert (
            client.patch(f"/api/sales/admin/sales/{sale_id}", json={"status": status}, headers=admin).status_code == 200
        )
    response = client.patch(f"/api/sales/admin/sales/{sale_id}", json={"status": target}, headers=admin)
    assert response.status_code == 409
    assert response.get_json()["code"] == "invalid_transition"


def test_admin_cancel_through_patch_restocks(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user, product, address_id = bought(db_session, stock=5, quantity=5)
    sale_id = checkout(client, auth_headers(user), address_id).get_json()["id"]
    admin = auth_headers(make_user(db_session, role="admin"))
    response = client.patch(f"/api/sales/admin/sales/{sale_id}", json={"status": "cancelled"}, headers=admin)
    assert response.status_code == 200
    assert stock_of(db_session, product) == 5
    db_session.expire_all()
    invoice = db_session.scalars(select(Invoice).where(Invoice.sale_id == sale_id)).one()
    assert invoice.cancelled_at is not None


def test_unknown_status_is_a_422(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    admin = auth_headers(make_user(db_session, role="admin"))
    response = client.patch("/api/sales/admin/sales/1", json={"status": "refunded"}, headers=admin)
    assert response.status_code == 422


def test_status_change_of_a_missing_sale_is_a_404(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    admin = auth_headers(make_user(db_session, role="admin"))
    response = client.patch("/api/sales/admin/sales/999999", json={"status": "paid"}, headers=admin)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/sales/admin/sales"),
        ("get", "/api/sales/admin/sales?analytics=true"),
        ("patch", "/api/sales/admin/sales/1"),
    ],
    ids=["list", "analytics", "status"],
)
def test_customer_gets_403_on_admin_routes(
    client: FlaskClient, db_session: Session, auth_headers: Headers, method: str, path: str
) -> None:
    headers = auth_headers(make_user(db_session))
    response = getattr(client, method)(path, json={"status": "paid"} if method == "patch" else None, headers=headers)
    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"


# --- admin list and analytics ------------------------------------------------------------------


def _sell(
    client: FlaskClient, session: Session, auth_headers: Headers, *, price: str, quantity: int = 1
) -> dict[str, object]:
    user, _product, address_id = bought(session, price=price, quantity=quantity)
    return checkout(client, auth_headers(user), address_id).get_json()  # type: ignore[no-any-return]


def test_admin_list_filters_by_status_and_user(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    first = _sell(client, db_session, auth_headers, price="5.00")
    second = _sell(client, db_session, auth_headers, price="6.00")
    admin = auth_headers(make_user(db_session, role="admin"))
    client.patch(f"/api/sales/admin/sales/{second['id']}", json={"status": "paid"}, headers=admin)

    everything = client.get("/api/sales/admin/sales", headers=admin).get_json()
    assert [s["id"] for s in everything["items"]] == [second["id"], first["id"]]
    paid = client.get("/api/sales/admin/sales?status=paid", headers=admin).get_json()
    assert [s["id"] for s in paid["items"]] == [second["id"]]
    mine = client.get(f"/api/sales/admin/sales?user_id={first['user_id']}", headers=admin).get_json()
    assert [s["id"] for s in mine["items"]] == [first["id"]]


def test_admin_list_filters_by_date_range(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    sale = _sell(client, db_session, auth_headers, price="5.00")
    admin = auth_headers(make_user(db_session, role="admin"))
    today = str(sale["created_at"])[:10]
    inside = client.get(f"/api/sales/admin/sales?date_from={today}&date_to={today}", headers=admin).get_json()
    assert [s["id"] for s in inside["items"]] == [sale["id"]]
    before = client.get("/api/sales/admin/sales?date_to=2000-01-01", headers=admin).get_json()
    assert before["items"] == []


@pytest.mark.parametrize(
    "query",
    ["status=lost", "date_from=yesterday", "date_from=2026-02-02&date_to=2026-02-01", "user_id=0", "per_page=0"],
    ids=["status", "date", "reversed-range", "user-id", "per-page"],
)
def test_bad_admin_filters_are_a_422(
    client: FlaskClient, db_session: Session, auth_headers: Headers, query: str
) -> None:
    admin = auth_headers(make_user(db_session, role="admin"))
    response = client.get(f"/api/sales/admin/sales?{query}", headers=admin)
    assert response.status_code == 422


def test_analytics_sum_the_non_cancelled_sales(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    address = make_address(db_session, user)
    tea = make_product(db_session, price="2.00", stock=100, name="Tea")
    mug = make_product(db_session, price="10.00", stock=100, name="Mug")
    headers = auth_headers(user)
    sales = []
    for cart in ({tea: 3}, {tea: 1, mug: 2}, {mug: 5}):
        for product, quantity in cart.items():
            client.post("/api/sales/cart/items", json={"product_id": product.id, "quantity": quantity}, headers=headers)
        sales.append(checkout(client, headers, address.id).get_json())
    client.post(f"/api/sales/{sales[2]['id']}/cancel", headers=headers)
    admin = auth_headers(make_user(db_session, role="admin"))

    with count_statements() as sql:
        body = client.get("/api/sales/admin/sales?analytics=true", headers=admin).get_json()

    # one pass over the sales and one over their lines (the token is checked in Redis, without SQL)
    assert sql.count == 2, sql.statements
    assert body["sales_count"] == 2
    assert body["revenue_total"] == "28.00"
    assert body["average_order_value"] == "14.00"
    assert body["items_sold"] == 6
    assert body["by_status"] == {"pending": 2, "cancelled": 1}
    today = str(sales[0]["created_at"])[:10]
    assert body["revenue_by_day"] == [{"date": today, "sales": 2, "revenue": "28.00"}]
    assert body["top_products"] == [
        {"product_id": tea.id, "name": "Tea", "quantity": 4, "revenue": "8.00"},
        {"product_id": mug.id, "name": "Mug", "quantity": 2, "revenue": "20.00"},
    ]
    revenue = db_session.scalar(select(func.sum(Sale.total)).where(Sale.status != "cancelled"))
    assert Decimal(body["revenue_total"]) == revenue


def test_analytics_go_by_utc_day_and_leave_out_days_of_only_cancelled_sales(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session)
    address = make_address(db_session, user)
    tea = make_product(db_session, price="2.00", stock=100, name="Tea")
    headers = auth_headers(user)
    sales = []
    for quantity in (1, 2, 3, 4):
        client.post("/api/sales/cart/items", json={"product_id": tea.id, "quantity": quantity}, headers=headers)
        sales.append(checkout(client, headers, address.id).get_json()["id"])
    client.post(f"/api/sales/{sales[3]}/cancel", headers=headers)
    moments = [(3, 2, 23, 59), (3, 1, 0, 0), (3, 2, 0, 1), (3, 3, 12, 0)]  # the cancelled one alone on its day
    for sale_id, (month, day, hour, minute) in zip(sales, moments, strict=True):
        moment = datetime(2026, month, day, hour, minute, tzinfo=UTC)
        db_session.execute(update(Sale).where(Sale.id == sale_id).values(created_at=moment))
    SaleRepo(db_session).rebuild_totals()  # the sales moved in time behind the repo's back
    admin = auth_headers(make_user(db_session, role="admin"))

    body = client.get("/api/sales/admin/sales?analytics=true", headers=admin).get_json()

    assert body["revenue_by_day"] == [
        {"date": "2026-03-01", "sales": 1, "revenue": "4.00"},
        {"date": "2026-03-02", "sales": 2, "revenue": "8.00"},
    ]
    assert body["by_status"] == {"cancelled": 1, "pending": 3}
    assert (body["sales_count"], body["revenue_total"]) == (3, "12.00")
    on_one_day = client.get(
        "/api/sales/admin/sales?analytics=true&date_from=2026-03-02&date_to=2026-03-03", headers=admin
    )
    assert on_one_day.get_json()["revenue_by_day"] == [{"date": "2026-03-02", "sales": 2, "revenue": "8.00"}]
    assert on_one_day.get_json()["by_status"] == {"cancelled": 1, "pending": 2}


def test_analytics_of_no_sales_are_zero(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    admin = auth_headers(make_user(db_session, role="admin"))
    body = client.get("/api/sales/admin/sales?analytics=true", headers=admin).get_json()
    assert body == {
        "sales_count": 0,
        "revenue_total": "0.00",
        "average_order_value": "0.00",
        "items_sold": 0,
        "revenue_by_day": [],
        "top_products": [],
        "by_status": {},
        "currency": "USD",
    }


def test_analytics_change_on_the_next_read_after_a_sale(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    _sell(client, db_session, auth_headers, price="5.00")
    admin = auth_headers(make_user(db_session, role="admin"))
    assert client.get("/api/sales/admin/sales?analytics=true", headers=admin).get_json()["revenue_total"] == "5.00"
    _sell(client, db_session, auth_headers, price="7.00")
    assert client.get("/api/sales/admin/sales?analytics=true", headers=admin).get_json()["revenue_total"] == "12.00"


def test_admin_list_is_fresh_after_a_cancellation_and_a_status_change(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    sale = _sell(client, db_session, auth_headers, price="5.00")
    admin = auth_headers(make_user(db_session, role="admin"))
    assert client.get("/api/sales/admin/sales", headers=admin).get_json()["items"][0]["status"] == "pending"
    client.patch(f"/api/sales/admin/sales/{sale['id']}", json={"status": "paid"}, headers=admin)
    assert client.get("/api/sales/admin/sales", headers=admin).get_json()["items"][0]["status"] == "paid"
    client.post(f"/api/sales/{sale['id']}/cancel", headers=admin)
    assert client.get("/api/sales/admin/sales", headers=admin).get_json()["items"][0]["status"] == "cancelled"
    analytics = client.get("/api/sales/admin/sales?analytics=true", headers=admin).get_json()
    assert analytics["sales_count"] == 0


def test_admin_list_is_served_from_the_cache(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    sale = _sell(client, db_session, auth_headers, price="5.00")
    admin = auth_headers(make_user(db_session, role="admin"))
    client.get("/api/sales/admin/sales?analytics=true", headers=admin)
    db_session.execute(Sale.__table__.update().where(Sale.id == sale["id"]).values(total=Decimal("1.00")))
    assert client.get("/api/sales/admin/sales?analytics=true", headers=admin).get_json()["revenue_total"] == "5.00"


def test_openapi_documents_every_sales_endpoint_with_its_errors(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    operations = {
        (method, path): op
        for path, ops in paths.items()
        if path.startswith("/api/sales")
        for method, op in ops.items()
        if method != "parameters"
    }
    assert len(operations) == 13
    for op in operations.values():
        assert op["summary"]
        assert {"401", "403"} <= op["responses"].keys()
    checkout_doc = operations[("post", "/api/sales/checkout")]
    assert {"201", "400", "404", "409", "422"} <= checkout_doc["responses"].keys()
    assert any(p["name"] == "Idempotency-Key" for p in checkout_doc["parameters"])
    admin_list = operations[("get", "/api/sales/admin/sales")]["responses"]["200"]
    assert len(admin_list["content"]["application/json"]["schema"]["oneOf"]) == 2


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/sales/cart"),
        ("get", "/api/sales/cart/total"),
        ("post", "/api/sales/cart/items"),
        ("patch", "/api/sales/cart/items/1"),
        ("delete", "/api/sales/cart/items/1"),
        ("delete", "/api/sales/cart"),
        ("post", "/api/sales/checkout"),
        ("get", "/api/sales"),
        ("get", "/api/sales/1"),
        ("post", "/api/sales/1/cancel"),
        ("get", "/api/sales/1/invoice"),
        ("get", "/api/sales/admin/sales"),
        ("patch", "/api/sales/admin/sales/1"),
    ],
)
def test_every_sales_route_needs_a_token(client: FlaskClient, method: str, path: str) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == 401
    assert response.get_json()["code"] == "missing_token"
