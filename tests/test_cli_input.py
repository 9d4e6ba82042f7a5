"""The CLI validates like the API: normalised emails, the password rules, a message and exit 2 for bad input."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
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


def development_app(make_app: Callable[..., Flask], share: Callable[[Flask], Flask], **admin: str) -> Flask:
    """seed-demo runs in development only: a development app on the test's transaction."""
    return share(make_app(APP_ENV="development", **admin))


def test_seed_demo_normalises_the_admin_email_and_the_admin_can_log_in(
    make_app: Callable[..., Flask], share_test_transaction: Callable[[Flask], Flask], db_session: Session
) -> None:
    dev = development_app(
        make_app, share_test_transaction, ADMIN_EMAIL="Boss@Example.com", ADMIN_PASSWORD="demo-admin-pass"
    )
    result = dev.test_cli_runner().invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    assert "Demo admin: boss@example.com / demo-admin-pass" in result.output
    login = dev.test_client().post(
        "/api/users/login", json={"email": "BOSS@example.com", "password": "demo-admin-pass"}
    )
    assert login.status_code == 200, login.get_json()
    assert login.get_json()["user"]["role"] == "admin"


def test_seed_demo_refuses_an_admin_email_that_is_not_one(
    make_app: Callable[..., Flask], share_test_transaction: Callable[[Flask], Flask], db_session: Session
) -> None:
    dev = development_app(make_app, share_test_transaction, ADMIN_EMAIL="boss", ADMIN_PASSWORD="x" * 12)
    result = dev.test_cli_runner().invoke(args=["seed-demo"])

    assert result.exit_code == 2
    assert "email:" in result.output
    assert "Traceback" not in result.output
    assert db_session.scalar(select(func.count()).select_from(User).where(User.role == "admin")) == 0
