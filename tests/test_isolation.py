"""The test fixtures themselves: every request has a session of its own, on the test's connection."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app.extensions import db


def test_each_request_gets_a_fresh_session_on_the_tests_connection(
    make_app: Callable[..., Flask],
    share_test_transaction: Callable[[Flask], Flask],
    connection: Connection,
    db_session: Session,
) -> None:
    other = share_test_transaction(make_app())
    seen: list[Session] = []

    @other.get("/api/test-session")
    def which_session() -> str:
        session = db.session()
        seen.append(session)
        return "yes" if session.connection() is connection else "no"

    client = other.test_client()
    answers = [client.get("/api/test-session").get_data(as_text=True) for _ in range(2)]

    assert answers == ["yes", "yes"]
    assert seen[0] is not seen[1]
    assert db_session not in seen


def test_a_request_inside_the_tests_app_context_is_refused(app: Flask, client: FlaskClient) -> None:
    with app.app_context(), pytest.raises(RuntimeError, match="share its session"):
        client.get("/api/health")
