"""PostgreSQL connections break or queries run long: requests recover or fail fast with a 503."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy import text

from app.extensions import db


def test_requests_recover_after_connections_are_terminated(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    client = app.test_client()
    assert client.get("/api/health").get_json()["database"] == "ok"  # a pooled connection now exists
    with app.app_context():
        with db.engine.connect() as admin:
            killed = admin.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND usename = current_user"
                )
            ).scalar_one()
        assert killed >= 1
    for _ in range(3):
        response = client.get("/api/health")
        assert response.status_code == 200
        assert response.get_json()["database"] == "ok"


def test_a_query_past_the_statement_timeout_is_a_503(make_app: Callable[..., Flask]) -> None:
    options = {"connect_args": {"options": "-c statement_timeout=100"}, "pool_pre_ping": True}
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS=options)

    @app.get("/api/slow")
    def slow() -> str:
        db.session.execute(text("SELECT pg_sleep(2)"))
        return "done"

    response = app.test_client().get("/api/slow")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "unavailable"
    assert response.headers["Retry-After"]
