"""Security headers for a JSON API, and CORS only for configured origins."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient


@pytest.mark.parametrize("path", ["/api/health", "/api/no-such-thing"])
def test_every_response_has_nosniff_and_a_strict_referrer_policy(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_authenticated_requests_are_never_cached_by_clients(client: FlaskClient) -> None:
    response = client.get("/api/health", headers={"Authorization": "Bearer whatever"})
    assert response.headers["Cache-Control"] == "no-store"


def test_retry_after_is_only_sent_where_it_means_something(client: FlaskClient) -> None:
    assert "Retry-After" not in client.get("/api/health").headers


def test_cors_allows_configured_origins_only(make_app: Callable[..., Flask]) -> None:
    client = make_app(CORS_ORIGINS=["https://shop.example"]).test_client()
    preflight = {"Access-Control-Request-Method": "GET"}
    allowed = client.options("/api/health", headers={"Origin": "https://shop.example", **preflight})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    denied = client.options("/api/health", headers={"Origin": "https://evil.example", **preflight})
    assert "Access-Control-Allow-Origin" not in denied.headers


def test_client_ip_comes_from_the_trusted_proxy_hop_only(make_app: Callable[..., Flask]) -> None:
    app = make_app(PROXY_HOPS=1)

    @app.get("/api/test-ip")
    def client_ip() -> str:
        from flask import request

        return request.remote_addr or ""

    client = app.test_client()
    response = client.get("/api/test-ip", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9"})
    assert response.get_data(as_text=True) == "203.0.113.9"
