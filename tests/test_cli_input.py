"""The CLI validates like the API: normalised emails, the password rules, a message and exit 2 for bad input."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import User


def user_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [("not-an-email", "long-enough-pass", "email"), ("a@example.com", "short", "password")],
)
def test_create_admin_rejects_bad_input_without_a_traceback(
    app: Flask, db_session: Session, email: str, password: str, field: str
) -> None:
    before = user_count(db_session)
    result = app.test_cli_runner().invoke(args=["create-admin", "--email", email, "--password", password])

    assert result.exit_code == 2
    assert f"{field}:" in result.output
    assert "Traceback" not in result.output
    assert user_count(db_session) == before


def test_seed_demo_normalises_the_admin_email_and_the_admin_can_log_in(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    env = {"ADMIN_EMAIL": "Boss@Example.com", "ADMIN_PASSWORD": "demo-admin-pass"}
    result = app.test_cli_runner().invoke(args=["seed-demo"], env=env)

    assert result.exit_code == 0, result.output
    assert "Demo admin created: boss@example.com" in result.output
    login = client.post("/api/users/login", json={"email": "BOSS@example.com", "password": "demo-admin-pass"})
    assert login.status_code == 200, login.get_json()
    assert login.get_json()["user"]["role"] == "admin"


def test_seed_demo_refuses_an_admin_email_that_is_not_one(app: Flask, db_session: Session) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo"], env={"ADMIN_EMAIL": "boss", "ADMIN_PASSWORD": "x" * 12})

    assert result.exit_code == 2
    assert "email:" in result.output
    assert "Traceback" not in result.output
    assert db_session.scalar(select(func.count()).select_from(User).where(User.role == "admin")) == 0
