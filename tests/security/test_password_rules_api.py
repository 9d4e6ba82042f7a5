"""New passwords: not common, not only whitespace, not the account's email or name; 422 naming the rule.

Registration, a password change and create-admin check them; login never does, so an account made
before the rules keeps signing in."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import User
from app.utils.password_rules import COMMON, PERSONAL, WHITESPACE, common_passwords
from app.utils.passwords import PROFILES
from tests.api.test_auth_api import assert_problem, bearer
from tests.builders import PASSWORD, make_user

pytestmark = [pytest.mark.auth, pytest.mark.usefixtures("rate_limits_as_configured")]

ACCOUNT = {"email": "grace.hopper@example.com", "name": "Grace Hopper Admiral"}
REFUSED = {
    "common": ("password123", COMMON),
    "common-capitalised": ("Password123", COMMON),
    "common-keyboard-walk": ("qwertyuiop", COMMON),
    "common-digits": ("123456789", COMMON),
    "only-spaces": ("          ", WHITESPACE),
    "only-tabs-and-newlines": ("\t\t\t\n\n\n\t\t", WHITESPACE),
    "the-email": ("grace.hopper@example.com", PERSONAL),
    "the-email-shouting": ("GRACE.HOPPER@EXAMPLE.COM", PERSONAL),
    "the-emails-local-part": ("grace.hopper", PERSONAL),
    "the-name": ("grace hopper admiral", PERSONAL),
}


def test_the_shipped_list_holds_at_least_the_10000_most_common_passwords() -> None:
    passwords = common_passwords()
    assert len(passwords) >= 10_000
    assert {"123456", "password", "qwerty", "iloveyou", "password1"} <= passwords
    assert not any(p.startswith("# ") for p in passwords)


@pytest.mark.parametrize(("password", "rule"), list(REFUSED.values()), ids=list(REFUSED))
def test_registration_refuses_a_weak_password_naming_the_rule(
    client: FlaskClient, db_session: Session, password: str, rule: str
) -> None:
    response = client.post("/api/users/register", json=ACCOUNT | {"password": password})
    problem = assert_problem(response, 422, "validation_error")
    assert rule in problem["errors"]["password"]
    assert db_session.scalars(select(User).where(User.email == ACCOUNT["email"])).one_or_none() is None


def test_registration_accepts_an_uncommon_password(client: FlaskClient) -> None:
    response = client.post("/api/users/register", json=ACCOUNT | {"password": "moth in relay seventy"})
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("password", "rule"),
    [("letmein123", COMMON), ("            ", WHITESPACE), ("old.address", PERSONAL), ("Ada Lovelace Count", PERSONAL)],
    ids=["common", "whitespace", "current-email-local-part", "current-name"],
)
def test_a_password_change_refuses_a_weak_password_naming_the_rule(
    client: FlaskClient, db_session: Session, password: str, rule: str
) -> None:
    """The stored email and name count, not only those sent along."""
    user = make_user(db_session, email="old.address@example.com", name="Ada Lovelace Count")
    db_session.flush()
    access = client.post("/api/users/login", json={"email": user.email, "password": PASSWORD}).get_json()
    body = {"password": password, "current_password": PASSWORD}
    response = client.patch("/api/users/me", json=body, headers=bearer(access["access_token"]))
    assert rule in assert_problem(response, 422, "validation_error")["errors"]["password"]
    db_session.expire_all()
    assert PROFILES["fast"].verify(db_session.get(User, user.id).password_hash, PASSWORD)  # type: ignore[union-attr]


def test_a_password_change_refuses_the_new_email_sent_along(client: FlaskClient, db_session: Session) -> None:
    user = make_user(db_session)
    db_session.flush()
    access = client.post("/api/users/login", json={"email": user.email, "password": PASSWORD}).get_json()
    body = {"email": "brand.new@example.com", "password": "brand.new@example.com", "current_password": PASSWORD}
    response = client.patch("/api/users/me", json=body, headers=bearer(access["access_token"]))
    assert PERSONAL in assert_problem(response, 422, "validation_error")["errors"]["password"]


def test_an_account_with_a_password_made_before_the_rules_still_logs_in(
    client: FlaskClient, db_session: Session
) -> None:
    user = make_user(db_session, password_hash=PROFILES["fast"].hash("password123"))
    db_session.flush()
    response = client.post("/api/users/login", json={"email": user.email, "password": "password123"})
    assert response.status_code == 200


def test_create_admin_refuses_a_common_password(app: Flask, db_session: Session) -> None:
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "boss@example.com", "--password", "password123"]
    )
    assert result.exit_code == 2
    assert "most common passwords" in result.output
    assert db_session.scalars(select(User).where(User.email == "boss@example.com")).one_or_none() is None


def test_the_openapi_document_states_the_rules_and_the_device_token(client: FlaskClient) -> None:
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    for schema in ("RegisterIn", "ProfilePatch"):
        assert "20,000 most common" in schemas[schema]["properties"]["password"]["description"]
    assert "device_token" in schemas["LoginIn"]["properties"]
    assert "device_token" in schemas["LoginOut"]["required"]
