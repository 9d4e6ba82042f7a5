"""Own delivery addresses: CRUD, one default, ISO country codes, other users' addresses are 404."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import DeliveryAddress, Sale, User
from app.schemas.delivery_address import ISO_COUNTRY_CODES
from tests.builders import make_address, make_user
from tests.helpers import assert_problem

pytestmark = [pytest.mark.auth, pytest.mark.usefixtures("rate_limits_as_configured")]

Headers = Callable[[User], dict[str, str]]
ADDRESS = {
    "recipient_name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
}


def defaults_of(db_session: Session, user: User) -> list[int]:
    return list(
        db_session.scalars(
            select(DeliveryAddress.id).where(DeliveryAddress.user_id == user.id, DeliveryAddress.is_default)
        )
    )


def test_first_address_becomes_the_default(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    response = client.post("/api/users/me/addresses", json=ADDRESS, headers=auth_headers(user))
    assert response.status_code == 201
    body = response.get_json()
    assert body["is_default"] is True
    assert body | {"id": 0, "created_at": "", "updated_at": ""} == ADDRESS | {
        "id": 0,
        "line2": None,
        "state": None,
        "phone": None,
        "is_default": True,
        "created_at": "",
        "updated_at": "",
    }
    assert defaults_of(db_session, user) == [body["id"]]


def test_a_second_address_is_not_the_default_unless_asked(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session)
    first = make_address(db_session, user, is_default=True)
    response = client.post("/api/users/me/addresses", json=ADDRESS, headers=auth_headers(user))
    assert response.get_json()["is_default"] is False
    assert defaults_of(db_session, user) == [first.id]


def test_a_new_default_address_replaces_the_old_one(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session)
    make_address(db_session, user, is_default=True)
    response = client.post("/api/users/me/addresses", json=ADDRESS | {"is_default": True}, headers=auth_headers(user))
    assert response.status_code == 201
    assert defaults_of(db_session, user) == [response.get_json()["id"]]


def test_patching_is_default_moves_the_default(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    make_address(db_session, user, is_default=True)
    second = make_address(db_session, user)
    response = client.patch(
        f"/api/users/me/addresses/{second.id}", json={"is_default": True}, headers=auth_headers(user)
    )
    assert response.status_code == 200
    assert response.get_json()["is_default"] is True
    assert defaults_of(db_session, user) == [second.id]


def test_list_shows_only_own_addresses_default_first(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user, other = make_user(db_session), make_user(db_session)
    plain = make_address(db_session, user)
    default = make_address(db_session, user, is_default=True)
    make_address(db_session, other, is_default=True)
    response = client.get("/api/users/me/addresses", headers=auth_headers(user))
    assert [item["id"] for item in response.get_json()] == [default.id, plain.id]


def test_patch_changes_only_the_given_fields(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    address = make_address(db_session, user, line2="Flat 1")
    body = {"city": "Paris", "country": "fr", "line2": None}
    response = client.patch(f"/api/users/me/addresses/{address.id}", json=body, headers=auth_headers(user))
    assert response.status_code == 200
    db_session.expire_all()
    assert (address.city, address.country, address.line2, address.line1) == ("Paris", "FR", None, "1 Main Street")


def test_delete_removes_the_address(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user = make_user(db_session)
    address = make_address(db_session, user)
    response = client.delete(f"/api/users/me/addresses/{address.id}", headers=auth_headers(user))
    assert response.status_code == 204
    assert db_session.scalar(select(DeliveryAddress.id).where(DeliveryAddress.id == address.id)) is None


def test_deleting_an_address_keeps_the_sales_snapshot(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session)
    address = make_address(db_session, user)
    sale = Sale(
        user_id=user.id,
        currency="USD",
        subtotal=Decimal("1.00"),
        tax=Decimal("0.00"),
        total=Decimal("1.00"),
        delivery_address_id=address.id,
        delivery_address=address.snapshot(),
    )
    db_session.add(sale)
    db_session.flush()
    assert client.delete(f"/api/users/me/addresses/{address.id}", headers=auth_headers(user)).status_code == 204
    db_session.expire_all()
    assert sale.delivery_address_id is None
    assert sale.delivery_address["city"] == "Springfield"


@pytest.mark.parametrize(
    ("method", "body"),
    [("get", None), ("patch", {"city": "Stolen"}), ("delete", None)],
    ids=["get", "patch", "delete"],
)
def test_another_users_address_is_404_and_untouched(
    client: FlaskClient, db_session: Session, auth_headers: Headers, method: str, body: Any
) -> None:
    owner, intruder = make_user(db_session), make_user(db_session)
    address = make_address(db_session, owner)
    headers = auth_headers(intruder)
    response = getattr(client, method)(f"/api/users/me/addresses/{address.id}", json=body, headers=headers)
    body_404 = assert_problem(response, 404, "address_not_found")
    assert "Springfield" not in str(body_404)
    db_session.expire_all()
    assert db_session.get(DeliveryAddress, address.id) is not None
    assert address.city == "Springfield"


def test_an_unknown_address_gets_the_same_404_as_a_foreign_one(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    owner, intruder = make_user(db_session), make_user(db_session)
    foreign = make_address(db_session, owner)
    headers = auth_headers(intruder)
    unknown = client.get("/api/users/me/addresses/999999", headers=headers)
    other = client.get(f"/api/users/me/addresses/{foreign.id}", headers=headers)
    assert other.get_json() == unknown.get_json()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("country", "XX"),
        ("country", "USA"),
        ("country", "u"),
        ("country", 12),
        ("postal_code", ""),
        ("line1", "x" * 201),
        ("recipient_name", None),
        ("phone", "1" * 33),
    ],
    ids=[
        "unassigned-country",
        "alpha-3",
        "one-letter",
        "number",
        "empty-postcode",
        "long-line1",
        "null-name",
        "long-phone",
    ],
)
def test_invalid_address_fields_are_422(
    client: FlaskClient, db_session: Session, auth_headers: Headers, field: str, value: Any
) -> None:
    user = make_user(db_session)
    headers = auth_headers(user)
    response = client.post("/api/users/me/addresses", json=ADDRESS | {field: value}, headers=headers)
    assert field in assert_problem(response, 422, "validation_error")["errors"]
    assert defaults_of(db_session, user) == []


def test_address_body_cannot_set_the_owner(client: FlaskClient, db_session: Session, auth_headers: Headers) -> None:
    user, other = make_user(db_session), make_user(db_session)
    headers = auth_headers(user)
    response = client.post("/api/users/me/addresses", json=ADDRESS | {"user_id": other.id}, headers=headers)
    assert assert_problem(response, 422, "validation_error")["errors"] == {"user_id": ["Unknown field."]}


def test_lower_case_country_codes_are_stored_upper_case(
    client: FlaskClient, db_session: Session, auth_headers: Headers
) -> None:
    user = make_user(db_session)
    response = client.post("/api/users/me/addresses", json=ADDRESS | {"country": " de "}, headers=auth_headers(user))
    assert response.get_json()["country"] == "DE"


def test_the_country_list_is_iso_3166_alpha_2() -> None:
    assert len(ISO_COUNTRY_CODES) == 249
    assert {"US", "GB", "DE", "SS", "XK"} & ISO_COUNTRY_CODES == {"US", "GB", "DE", "SS"}
    assert all(len(code) == 2 and code.isupper() for code in ISO_COUNTRY_CODES)
