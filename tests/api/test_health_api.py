"""GET /api/health checks the database and the cache for real."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient


def test_health_is_ok_with_postgresql_and_redis(client: FlaskClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_health_reports_a_dead_cache_as_degraded(make_app: Callable[..., Flask]) -> None:
    app = make_app(CACHE_REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/api/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "degraded", "database": "ok", "cache": "error"}


def test_health_is_503_when_the_database_is_down(make_app: Callable[..., Flask]) -> None:
    app = make_app(
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg2://nobody@127.0.0.1:1/none",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}},
    )
    response = app.test_client().get("/api/health")
    assert response.status_code == 503
    assert response.get_json()["database"] == "error"


def test_docs_and_spec_are_served_without_internet(client: FlaskClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert b"/api/docs/assets/swagger-ui-bundle.js" in page.data
    assert b"http" not in page.data.split(b"<script")[1][:80]  # no CDN
    with client.get("/api/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/health" in spec["paths"]
