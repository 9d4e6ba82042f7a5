"""The address book is capped: MAX_ADDRESSES_PER_USER addresses (20 by default), then 409 address_book_full."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import DeliveryAddress, User
from tests.builders import make_address, make_user
from tests.helpers import assert_problem

pytestmark = pytest.mark.usefixtures("rate_limits_as_configured")

Headers = Callable[[User], dict[str, str]]
ADDRESS = {"recipient_name": "Al", "line1": "1 Main", "city": "Springfield", "postal_code": "12345", "country": "US"}


def addresses_of(session: Session, user: User) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).where(DeliveryAddress.user_id == user.id)) or 0)


def test_the_twentieth_address_is_accepted(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    for _ in range(19):
        make_address(db_session, user)
    response = client.post("/api/users/me/addresses", json=ADDRESS, headers=auth_headers(user))
    assert response.status_code == 201
    assert addresses_of(db_session, user) == 20


def test_the_twenty_first_address_is_a_409_and_stores_nothing(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session)
    for _ in range(20):
        make_address(db_session, user)
    response = client.post("/api/users/me/addresses", json=ADDRESS | {"is_default": True}, headers=auth_headers(user))
    problem = assert_problem(response, 409, "address_book_full")
    assert problem["max_addresses"] == 20
    assert addresses_of(db_session, user) == 20
    assert not any(address.is_default for address in db_session.scalars(select(DeliveryAddress)))


def test_the_cap_is_per_user(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    full, other = make_user(db_session), make_user(db_session)
    for _ in range(20):
        make_address(db_session, full)
    assert client.post("/api/users/me/addresses", json=ADDRESS, headers=auth_headers(other)).status_code == 201


def test_deleting_an_address_makes_room_again(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    addresses = [make_address(db_session, user) for _ in range(20)]
    headers = auth_headers(user)
    assert client.post("/api/users/me/addresses", json=ADDRESS, headers=headers).status_code == 409
    assert client.delete(f"/api/users/me/addresses/{addresses[0].id}", headers=headers).status_code == 204
    assert client.post("/api/users/me/addresses", json=ADDRESS, headers=headers).status_code == 201


def test_the_cap_is_a_setting(
    make_app: Callable[..., Flask],
    share_test_transaction: Callable[[Flask], Flask],
    db_session: Session,
    auth_headers: Headers,
) -> None:
    client = share_test_transaction(make_app(MAX_ADDRESSES_PER_USER=2)).test_client()
    user = make_user(db_session)
    headers = auth_headers(user)
    statuses = [client.post("/api/users/me/addresses", json=ADDRESS, headers=headers).status_code for _ in range(3)]
    assert statuses == [201, 201, 409]


def test_the_setting_comes_from_the_environment() -> None:
    from app.config import Config

    assert Config({}).MAX_ADDRESSES_PER_USER == 20
    assert Config({"MAX_ADDRESSES_PER_USER": "5"}).MAX_ADDRESSES_PER_USER == 5
