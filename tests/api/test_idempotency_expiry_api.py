"""An Idempotency-Key is kept IDEMPOTENCY_KEY_TTL_HOURS (24 by default); after that it starts a new checkout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Interval, func, literal, select, update
from sqlalchemy.orm import Session

from app.config import Config, ConfigError
from app.models import IdempotencyKey, Product, Sale, User
from app.models.base import utcnow
from tests.builders import make_address, make_product, make_user

pytestmark = [pytest.mark.sales, pytest.mark.usefixtures("rate_limits_as_configured")]

Headers = Callable[[User], dict[str, str]]


class Shopper:
    """A customer with an address, who puts one unit of `product` in the cart before each checkout."""

    def __init__(self, client: FlaskClient, headers: dict[str, str], address_id: int, product: Product) -> None:
        self.client, self.headers, self.address_id, self.product = client, headers, address_id, product

    def checkout(self, key: str, **body: Any) -> Any:
        added = self.client.post(
            "/api/sales/cart/items", json={"product_id": self.product.id, "quantity": 1}, headers=self.headers
        )
        assert added.status_code == 201
        return self.client.post(
            "/api/sales/checkout",
            json={"delivery_address_id": self.address_id, **body},
            headers={**self.headers, "Idempotency-Key": key},
        )


@pytest.fixture
def shopper(client: FlaskClient, db_session: Session, auth_headers: Headers) -> Shopper:
    user = make_user(db_session)
    address = make_address(db_session, user)
    product = make_product(db_session, stock=10)
    return Shopper(client, auth_headers(user), address.id, product)


def age_keys(session: Session, by: timedelta) -> None:
    session.execute(update(IdempotencyKey).values(created_at=IdempotencyKey.created_at - literal(by, Interval())))
    session.flush()


def sales_and_stock(session: Session, product: Product) -> tuple[int, int]:
    session.expire_all()
    sales = session.scalar(select(func.count(Sale.id))) or 0
    return sales, session.scalars(select(Product.stock).where(Product.id == product.id)).one()


def test_a_key_within_its_ttl_replays(shopper: Shopper, db_session: Session) -> None:
    first = shopper.checkout("order-1")
    age_keys(db_session, timedelta(hours=23, minutes=59))
    again = shopper.checkout("order-1")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert sales_and_stock(db_session, shopper.product) == (1, 9)


def test_a_key_past_its_ttl_is_a_new_checkout(shopper: Shopper, db_session: Session) -> None:
    first = shopper.checkout("order-1")
    age_keys(db_session, timedelta(hours=24, minutes=1))  # still in the table: the purge has not run
    again = shopper.checkout("order-1")
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
    assert again.get_json()["id"] != first.get_json()["id"]
    assert sales_and_stock(db_session, shopper.product) == (2, 8)
    key = db_session.scalars(select(IdempotencyKey)).one()
    assert key.sale_id == again.get_json()["id"]
    assert utcnow() - key.created_at < timedelta(minutes=1)  # its 24 hours start again
    replay = shopper.checkout("order-1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json()["id"] == again.get_json()["id"]


def test_an_expired_key_with_another_body_is_a_new_checkout_not_a_422(shopper: Shopper, db_session: Session) -> None:
    shopper.checkout("order-1")
    age_keys(db_session, timedelta(hours=25))
    response = shopper.checkout("order-1", notes="another body")
    assert response.status_code == 201
    assert response.get_json()["notes"] == "another body"


def test_the_ttl_is_a_setting(
    make_app: Callable[..., Flask],
    share_test_transaction: Callable[[Flask], Flask],
    db_session: Session,
    auth_headers: Headers,
) -> None:
    client = share_test_transaction(make_app(IDEMPOTENCY_KEY_TTL_HOURS=48)).test_client()
    user = make_user(db_session)
    shopper = Shopper(client, auth_headers(user), make_address(db_session, user).id, make_product(db_session, stock=10))
    shopper.checkout("order-1")
    age_keys(db_session, timedelta(hours=30))
    assert shopper.checkout("order-1").headers["Idempotent-Replayed"] == "true"
    age_keys(db_session, timedelta(hours=19))
    assert "Idempotent-Replayed" not in shopper.checkout("order-1").headers


def test_the_ttl_setting_is_24_hours_by_default_and_never_less() -> None:
    assert Config({}).IDEMPOTENCY_KEY_TTL_HOURS == 24
    assert Config({"IDEMPOTENCY_KEY_TTL_HOURS": "72"}).IDEMPOTENCY_KEY_TTL_HOURS == 72
    with pytest.raises(ConfigError, match="IDEMPOTENCY_KEY_TTL_HOURS"):
        Config({"IDEMPOTENCY_KEY_TTL_HOURS": "1"})
