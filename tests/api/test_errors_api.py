"""Every error is an RFC 9457 problem document."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from marshmallow import fields, validate

from app.api.spec import Blueprint
from app.schemas.base import InSchema, Money
from tests.helpers import assert_problem


class EchoIn(InSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=20))
    price = Money(required=True)


@pytest.fixture(scope="module")
def echo_app(make_app: Callable[..., Flask]) -> Flask:
    """An app with two extra routes: one that validates a body, one that crashes."""
    app = make_app(MAX_CONTENT_LENGTH=1024)
    bp = Blueprint("echo", __name__, url_prefix="/api/echo")

    @bp.post("")
    @bp.arguments(EchoIn)
    def echo(data: dict[str, object]) -> dict[str, object]:
        return {"name": data["name"], "price": str(data["price"])}

    @bp.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    app.register_blueprint(bp)
    return app


@pytest.fixture
def echo(echo_app: Flask, db_session: object) -> FlaskClient:
    return echo_app.test_client()


def test_unknown_route_is_a_404_problem(client: FlaskClient) -> None:
    assert_problem(client.get("/api/nothing-here"), 404, "not_found")


def test_wrong_method_is_a_405_problem_with_allow(client: FlaskClient) -> None:
    response = client.delete("/api/health")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_a_400_problem(echo: FlaskClient) -> None:
    response = echo.post("/api/echo", data="{bad", content_type="application/json")
    assert_problem(response, 400, "malformed_json")


def test_non_json_body_is_a_415_problem(echo: FlaskClient) -> None:
    response = echo.post("/api/echo", data="name=x", content_type="application/x-www-form-urlencoded")
    assert_problem(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"price": "1.00"}, "name", id="missing-field"),
        pytest.param({"name": "x", "price": "1.005"}, "price", id="three-decimal-places"),
        pytest.param({"name": "x", "price": "NaN"}, "price", id="nan-string"),
        pytest.param({"name": "x", "price": "1e3"}, "price", id="exponent-string"),
        pytest.param({"name": "x", "price": -1}, "price", id="negative"),
        pytest.param({"name": "x", "price": True}, "price", id="boolean"),
        pytest.param({"name": "x", "price": "1.00", "role": "admin"}, "role", id="unknown-field"),
    ],
)
def test_invalid_fields_are_a_422_problem_naming_the_field(
    echo: FlaskClient, body: dict[str, object], field: str
) -> None:
    body_out = assert_problem(echo.post("/api/echo", json=body), 422, "validation_error")
    assert field in body_out["errors"]


def test_a_json_array_body_is_a_400_problem(echo: FlaskClient) -> None:
    assert_problem(echo.post("/api/echo", json=[1, 2]), 400, "json_not_object")


def test_nan_literal_is_malformed_json(echo: FlaskClient) -> None:
    response = echo.post("/api/echo", data='{"name": "x", "price": NaN}', content_type="application/json")
    assert_problem(response, 400, "malformed_json")


def test_json_number_prices_are_exact(echo: FlaskClient) -> None:
    response = echo.post("/api/echo", data='{"name": "x", "price": 19.99}', content_type="application/json")
    assert response.status_code == 200
    assert response.get_json()["price"] == "19.99"


def test_oversized_body_is_a_413_problem(echo: FlaskClient) -> None:
    response = echo.post("/api/echo", data="x" * 2048, content_type="application/json")
    assert_problem(response, 413, "payload_too_large")


def test_unexpected_exception_is_a_500_problem_without_internals(echo: FlaskClient) -> None:
    body = assert_problem(echo.get("/api/echo/boom"), 500, "internal_error")
    assert "secret internals" not in str(body)


def test_request_id_is_echoed(client: FlaskClient) -> None:
    assert client.get("/api/health", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    assert client.get("/api/nothing").headers["X-Request-ID"]


def test_deeply_nested_json_is_malformed_not_a_crash(echo: FlaskClient) -> None:
    response = echo.post("/api/echo", data="[" * 900 + "]" * 900, content_type="application/json")
    assert response.status_code in (400, 413)
