"""Admin user management: list, search, filter, edit, deactivate; the last admin stays."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuthSession, User
from tests.builders import TokenPair, make_user
from tests.helpers import assert_problem

pytestmark = [pytest.mark.admin, pytest.mark.auth, pytest.mark.usefixtures("rate_limits_as_configured")]

Headers = Callable[[User], dict[str, str]]
Tokens = Callable[[User], TokenPair]


@pytest.fixture
def admin(db_session: Session) -> User:
    return make_user(db_session, role="admin", email="boss@example.com", name="The Boss")


def test_admin_lists_users_by_id_with_a_page_envelope(
    client: FlaskClient, db_session: Session, auth_headers: Headers, admin: User
) -> None:
    users = [make_user(db_session) for _ in range(3)]
    response = client.get("/api/users?per_page=2&page=2", headers=auth_headers(admin))
    assert response.status_code == 200
    body = response.get_json()
    assert {k: body[k] for k in ("page", "per_page", "total", "pages")} == {
        "page": 2,
        "per_page": 2,
        "total": 4,
        "pages": 2,
    }
    assert [item["id"] for item in body["items"]] == [users[1].id, users[2].id]
    assert set(body["items"][0]) == {"id", "email", "name", "role", "is_active", "created_at", "updated_at"}


def test_admin_searches_users_by_email_or_name_case_insensitively(
    client: FlaskClient, db_session: Session, auth_headers: Headers, admin: User
) -> None:
    by_email = make_user(db_session, email="grace.hopper@example.com")
    by_name = make_user(db_session, name="Ada HOPPER")
    make_user(db_session, name="Someone Else")
    response = client.get("/api/users?q=hopper", headers=auth_headers(admin))
    assert [item["id"] for item in response.get_json()["items"]] == [by_email.id, by_name.id]


def test_an_empty_search_lists_everyone(
    client: FlaskClient, db_session: Session, auth_headers: Headers, admin: User
) -> None:
    make_user(db_session)
    assert client.get("/api/users?q=", headers=auth_headers(admin)).get_json()["total"] == 2


def test_search_treats_like_wildcards_literally(
    client: FlaskClient, db_session: Session, auth_headers: Headers, admin: User
) -> None:
    make_user(db_session, name="Plain Name")
    percent = make_user(db_session, name="100% Cotton")
    response = client.get("/api/users", query_string={"q": "%"}, headers=auth_headers(admin))
    assert [item["id"] for item in response.get_json()["items"]] == [percent.id]


def test_admin_filters_users_by_role_and_active_flag(
    client: FlaskClient, db_session: Session, auth_headers: Headers, admin: User
) -> None:
    make_user(db_session)
    inactive = make_user(db_session, is_active=False)
    other_admin = make_user(db_session, role="admin")
    headers = auth_headers(admin)
    admins = client.get("/api/users?role=admin", headers=headers).get_json()["items"]
    assert [item["id"] for item in admins] == [admin.id, other_admin.id]
    gone = client.get("/api/users?is_active=false", headers=headers).get_json()["items"]
    assert [item["id"] for item in gone] == [inactive.id]


@pytest.mark.parametrize(
    "query", ["per_page=101", "per_page=0", "page=0", "role=superuser", "is_active=maybe"], ids=lambda q: q
)
def test_bad_list_parameters_are_422(client: FlaskClient, auth_headers: Headers, admin: User, query: str) -> None:
    assert_problem(client.get(f"/api/users?{query}", headers=auth_headers(admin)), 422, "validation_error")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/users", None),
        ("get", "/api/users/{id}", None),
        ("patch", "/api/users/{id}", {"role": "admin"}),
        ("delete", "/api/users/{id}", None),
    ],
    ids=["list", "get", "patch", "delete"],
)
def test_customers_get_403_on_admin_routes(
    client: FlaskClient, db_session: Session, auth_headers: Headers, method: str, path: str, body: Any
) -> None:
    customer = make_user(db_session)
    headers = auth_headers(customer)
    response = getattr(client, method)(path.format(id=customer.id), json=body, headers=headers)
    assert_problem(response, 403, "forbidden")
    db_session.expire_all()
    assert customer.role == "customer" and customer.is_active


def test_anonymous_requests_to_admin_routes_are_401(client: FlaskClient) -> None:
    assert_problem(client.get("/api/users"), 401, "missing_token")


def test_admin_gets_one_user(client: FlaskClient, db_session: Session, auth_headers: Headers, admin: User) -> None:
    user = make_user(db_session)
    response = client.get(f"/api/users/{user.id}", headers=auth_headers(admin))
    assert response.status_code == 200
    assert response.get_json()["email"] == user.email


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_unknown_user_is_404(client: FlaskClient, auth_headers: Headers, admin: User, method: str) -> None:
    response = getattr(client, method)("/api/users/999999", json={"name": "x"}, headers=auth_headers(admin))
    assert_problem(response, 404, "user_not_found")


def test_admin_renames_and_promotes_a_user(
    client: FlaskClient, db_session: Session, auth_headers: Headers, admin: User
) -> None:
    user = make_user(db_session)
    response = client.patch(
        f"/api/users/{user.id}", json={"name": "Promoted", "role": "admin"}, headers=auth_headers(admin)
    )
    assert response.status_code == 200
    assert response.get_json()["role"] == "admin"
    db_session.expire_all()
    assert (user.name, user.role) == ("Promoted", "admin")


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "x@example.com"), ("password", "new password!"), ("id", 5), ("role", "root")],
    ids=["email", "password", "id", "bad-role"],
)
def test_admin_patch_accepts_only_role_active_and_name(
    client: FlaskClient, db_session: Session, auth_headers: Headers, admin: User, field: str, value: Any
) -> None:
    user = make_user(db_session)
    headers = auth_headers(admin)
    response = client.patch(f"/api/users/{user.id}", json={field: value}, headers=headers)
    assert field in assert_problem(response, 422, "validation_error")["errors"]


def test_delete_deactivates_and_keeps_the_user(
    client: FlaskClient, db_session: Session, auth_headers: Headers, auth_tokens: Tokens, admin: User
) -> None:
    user = make_user(db_session)
    tokens = auth_tokens(user)
    assert client.delete(f"/api/users/{user.id}", headers=auth_headers(admin)).status_code == 204
    db_session.expire_all()
    assert db_session.get(User, user.id) is not None
    assert user.is_active is False
    session = db_session.get(AuthSession, tokens.session_id)
    assert session is not None and session.revoked_at is not None


def test_reactivated_user_must_log_in_again(
    client: FlaskClient, db_session: Session, auth_headers: Headers, admin: User
) -> None:
    """Deactivation revokes every login, so reactivating does not bring old tokens back."""
    user = make_user(db_session)
    old = auth_headers(user)
    headers = auth_headers(admin)
    client.patch(f"/api/users/{user.id}", json={"is_active": False}, headers=headers)
    client.patch(f"/api/users/{user.id}", json={"is_active": True}, headers=headers)
    assert_problem(client.get("/api/users/me", headers=old), 401, "token_revoked")


@pytest.mark.parametrize(
    ("method", "body"),
    [("patch", {"role": "customer"}), ("patch", {"is_active": False}), ("delete", None)],
    ids=["demote", "deactivate", "delete"],
)
def test_last_active_admin_cannot_be_demoted_or_deactivated(
    client: FlaskClient, db_session: Session, auth_headers: Headers, admin: User, method: str, body: Any
) -> None:
    make_user(db_session, role="admin", is_active=False)  # an inactive admin does not count
    headers = auth_headers(admin)
    response = getattr(client, method)(f"/api/users/{admin.id}", json=body, headers=headers)
    assert_problem(response, 409, "last_admin")
    db_session.expire_all()
    assert (admin.role, admin.is_active) == ("admin", True)


def test_an_admin_can_be_demoted_while_another_remains(
    client: FlaskClient, db_session: Session, auth_headers: Headers, admin: User
) -> None:
    other = make_user(db_session, role="admin")
    response = client.patch(f"/api/users/{admin.id}", json={"role": "customer"}, headers=auth_headers(other))
    assert response.status_code == 200
    assert db_session.scalars(select(User.id).where(User.role == "admin")).all() == [other.id]


def test_renaming_the_last_admin_is_allowed(
    client: FlaskClient, db_session: Session, auth_headers: Headers, admin: User
) -> None:
    response = client.patch(
        f"/api/users/{admin.id}", json={"name": "Still Boss", "role": "admin"}, headers=auth_headers(admin)
    )
    assert response.status_code == 200
    assert response.get_json()["name"] == "Still Boss"
