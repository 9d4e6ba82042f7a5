"""Checkout never charges a total the buyer has not seen: expected_total, 409 price_changed, nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Cart, CartProduct, IdempotencyKey, InvoiceCounter, Product, Sale, User
from tests.builders import make_address, make_cart, make_product, make_user
from tests.helpers import assert_problem

pytestmark = [pytest.mark.sales, pytest.mark.usefixtures("rate_limits_as_configured")]

Headers = Callable[[User], dict[str, str]]


def checkout(client: FlaskClient, headers: dict[str, str], address_id: int, key: str | None = None, **body: Any) -> Any:
    if key is not None:
        headers = {**headers, "Idempotency-Key": key}
    return client.post("/api/sales/checkout", json={"delivery_address_id": address_id, **body}, headers=headers)


def raised(session: Session, *, quantity: int = 2) -> tuple[User, Product, int]:
    """A customer whose cart holds `quantity` of a product at 10.00, whose price is then raised to 25.00."""
    user = make_user(session)
    product = make_product(session, price="10.00", stock=10)
    address = make_address(session, user)
    make_cart(session, user, {product: quantity})
    product.price = Decimal("25.00")
    session.flush()
    return user, product, address.id


def state(session: Session, user: User, product: Product) -> tuple[int, int, int, int, int]:
    """(stock, sales, cart lines, idempotency keys, invoice numbers issued)."""
    session.expire_all()
    return (
        session.scalars(select(Product.stock).where(Product.id == product.id)).one(),
        session.scalar(select(func.count(Sale.id))) or 0,
        session.scalar(select(func.count()).select_from(CartProduct).join(Cart).where(Cart.user_id == user.id)) or 0,
        session.scalar(select(func.count(IdempotencyKey.id))) or 0,
        session.scalar(select(func.coalesce(func.sum(InvoiceCounter.last_number), 0))) or 0,
    )


def test_a_raised_price_is_a_409_with_the_current_totals_and_changes_nothing(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user, product, address_id = raised(db_session)
    headers = auth_headers(user)
    before = state(db_session, user, product)

    problem = assert_problem(checkout(client, headers, address_id, expected_total="20.00"), 409, "price_changed")

    assert {k: problem[k] for k in ("expected_total", "subtotal", "tax", "total", "currency")} == {
        "expected_total": "20.00",
        "subtotal": "50.00",
        "tax": "0.00",
        "total": "50.00",
        "currency": "USD",
    }
    assert state(db_session, user, product) == before
    assert client.get("/api/sales/cart", headers=headers).get_json()["total"] == "50.00"


def test_the_total_the_buyer_saw_is_charged(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user, product, address_id = raised(db_session)
    response = checkout(client, auth_headers(user), address_id, expected_total="50.00")
    assert response.status_code == 201
    assert response.get_json()["total"] == "50.00"
    assert state(db_session, user, product)[:3] == (8, 1, 0)


@pytest.mark.parametrize("expected", [50, 50.0, "50", "50.0"], ids=["int", "float", "string", "one-place"])
def test_expected_total_is_money_in_any_of_its_spellings(
    client: FlaskClient, db_session: Session, auth_headers: Headers, expected: object
) -> None:
    user, _product, address_id = raised(db_session)
    assert checkout(client, auth_headers(user), address_id, expected_total=expected).status_code == 201


def test_without_expected_total_the_current_total_is_charged_as_before(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user, _product, address_id = raised(db_session)
    response = checkout(client, auth_headers(user), address_id)
    assert response.status_code == 201
    assert response.get_json()["total"] == "50.00"


@pytest.mark.parametrize("expected", ["abc", "-1.00", "1.005", "NaN", "١٢.00", True], ids=str)
def test_an_invalid_expected_total_is_a_422(
    client: FlaskClient, db_session: Session, auth_headers: Headers, expected: object
) -> None:
    user, _product, address_id = raised(db_session)
    response = checkout(client, auth_headers(user), address_id, expected_total=expected)
    problem = assert_problem(response, 422, "validation_error")
    assert list(problem["errors"]) == ["expected_total"]


def test_expected_total_includes_tax(
    make_app: Callable[..., Flask],
    share_test_transaction: Callable[[Flask], Flask],
    db_session: Session,
    auth_headers: Headers,
) -> None:
    client = share_test_transaction(make_app(TAX_RATE=Decimal("0.21"))).test_client()
    user, _product, address_id = raised(db_session)
    headers = auth_headers(user)
    problem = assert_problem(checkout(client, headers, address_id, expected_total="50.00"), 409, "price_changed")
    assert (problem["subtotal"], problem["tax"], problem["total"]) == ("50.00", "10.50", "60.50")
    assert checkout(client, headers, address_id, expected_total="60.50").status_code == 201


# --- with an Idempotency-Key -------------------------------------------------------------------


def test_a_price_changed_checkout_keeps_no_key_so_a_retry_with_the_new_total_goes_through(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user, product, address_id = raised(db_session)
    headers = auth_headers(user)
    assert checkout(client, headers, address_id, key="k-1", expected_total="20.00").status_code == 409
    assert state(db_session, user, product)[3] == 0  # the key is free

    first = checkout(client, headers, address_id, key="k-1", expected_total="50.00")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    again = checkout(client, headers, address_id, key="k-1", expected_total="50")  # the same amount
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert state(db_session, user, product)[:2] == (8, 1)


def test_the_same_key_with_another_expected_total_is_a_422(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user, _product, address_id = raised(db_session)
    headers = auth_headers(user)
    assert checkout(client, headers, address_id, key="k-2", expected_total="50.00").status_code == 201
    response = checkout(client, headers, address_id, key="k-2", expected_total="51.00")
    assert_problem(response, 422, "idempotency_key_reused")


def test_the_checkout_409_is_documented_with_the_price_changed_members(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/sales/checkout"]["post"]
    assert "expected_total" in spec["components"]["schemas"]["CheckoutIn"]["properties"]
    conflict = operation["responses"]["409"]["content"]["application/problem+json"]
    assert conflict["example"]["code"] == "price_changed"
    members = spec["components"]["schemas"][conflict["schema"]["$ref"].rsplit("/", 1)[-1]]["properties"]
    assert {"subtotal", "tax", "total"} <= members.keys()
