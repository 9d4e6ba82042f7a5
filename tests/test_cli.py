"""CLI commands: create-admin and status."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import User
from tests.builders import make_user


def test_create_admin_creates_then_promotes_idempotently(app: Flask, db_session: Session) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["create-admin", "--email", "Boss@Example.com", "--password", "s3cret-pass"])
    assert first.exit_code == 0, first.output
    assert "Created admin boss@example.com" in first.output
    second = runner.invoke(args=["create-admin", "--email", "boss@example.com", "--password", "s3cret-pass"])
    assert "Updated admin" in second.output
    admins = db_session.scalars(select(User).where(User.email == "boss@example.com")).all()
    assert [(u.role, u.is_active) for u in admins] == [("admin", True)]


def test_create_admin_promotes_an_existing_customer(app: Flask, db_session: Session) -> None:
    customer = make_user(db_session, email="shopper@example.com")
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "shopper@example.com", "--password", "another-pass"]
    )
    assert result.exit_code == 0
    db_session.expire_all()
    assert db_session.get(User, customer.id).role == "admin"  # type: ignore[union-attr]


def test_create_admin_refuses_a_short_password(app: Flask, db_session: Session) -> None:
    result = app.test_cli_runner().invoke(args=["create-admin", "--email", "a@example.com", "--password", "short"])
    assert result.exit_code != 0


def test_status_reports_database_redis_migrations_and_keys(app: Flask, db_session: Session) -> None:
    result = app.test_cli_runner().invoke(args=["status"])
    assert result.exit_code == 0, result.output
    assert "Database: ok" in result.output
    assert "up to date" in result.output
    assert "Redis:" in result.output and ": ok" in result.output
