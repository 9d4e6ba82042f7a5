"""Hostile input, round two: what a client sends is answered with a 4xx problem document, never a 500."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from marshmallow import Schema, fields
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import schemas
from app.models import DeliveryAddress, Product, Sale, User
from app.schemas.base import MAX_DAY, MIN_DAY, Day, Email, Text, Url
from tests.builders import PASSWORD, make_address, make_cart, make_product, make_user
from tests.helpers import assert_problem

pytestmark = pytest.mark.usefixtures("rate_limits_as_configured")

Headers = Callable[[User], dict[str, str]]
LONE = "\ud800"  # a lone UTF-16 surrogate: valid JSON (written "\ud800"), not encodable as UTF-8
ADDRESS = {"recipient_name": "A", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}
REGISTER = {"email": "a@example.com", "password": "long enough", "name": "A"}
PRODUCT = {"sku": "LONE-1", "name": "Lone", "price": "1.00", "stock": 1, "image_url": "https://example.com/"}


def raw_json(body: dict[str, Any]) -> str:
    """The body as JSON text; json.dumps writes a lone surrogate as the escape \\ud800."""
    return json.dumps(body)


# (name, method, path, who, a valid body, the string fields to spoil with a lone surrogate)
ENDPOINTS: list[tuple[str, str, str, str | None, dict[str, Any], list[str]]] = [
    ("register", "POST", "/api/users/register", None, REGISTER, ["password", "name", "email"]),
    ("login", "POST", "/api/users/login", None, {"email": "a@example.com", "password": "pw"}, ["password"]),
    ("me", "PATCH", "/api/users/me", "customer", {"name": "B"}, ["name"]),
    (
        "me",
        "PATCH",
        "/api/users/me",
        "customer",
        {"password": "new password 1", "current_password": PASSWORD},
        ["password", "current_password"],
    ),
    (
        "address",
        "POST",
        "/api/users/me/addresses",
        "customer",
        ADDRESS | {"line2": "", "state": "", "phone": ""},
        ["recipient_name", "line1", "line2", "city", "state", "postal_code", "phone"],
    ),
    (
        "checkout",
        "POST",
        "/api/sales/checkout",
        "customer",
        {"delivery_address_id": "{address}", "notes": ""},
        ["notes"],
    ),
    (
        "product",
        "POST",
        "/api/products",
        "admin",
        PRODUCT | {"description": "", "category": "c"},
        ["name", "sku", "description", "category", "image_url"],
    ),
    ("admin-user", "PATCH", "/api/users/{customer}", "admin", {"name": "C"}, ["name"]),
]
SURROGATES = [
    pytest.param(method, path, who, body | {field: f"{body[field]}{LONE}"}, field, id=f"{name}-{field}")
    for name, method, path, who, body, spoiled in ENDPOINTS
    for field in spoiled
]


@pytest.fixture
def world(db_session: Session, auth_headers: Headers) -> dict[str, Any]:
    admin = make_user(db_session, role="admin")
    customer = make_user(db_session)
    address = make_address(db_session, customer, is_default=True)
    make_cart(db_session, customer, {make_product(db_session, stock=5): 1})
    headers = {None: {}, "admin": auth_headers(admin), "customer": auth_headers(customer)}
    return {"headers": headers, "address": address.id, "customer": customer.id}


def counts(session: Session) -> tuple[int, ...]:
    session.expire_all()
    models = (Product, User, Sale, DeliveryAddress)
    return tuple(session.scalar(select(func.count()).select_from(m)) or 0 for m in models)


@pytest.mark.parametrize(("method", "path", "who", "body", "field"), SURROGATES)
def test_a_lone_surrogate_in_any_string_field_is_a_422_naming_it(
    client: FlaskClient,
    db_session: Session,
    world: dict[str, Any],
    method: str,
    path: str,
    who: str | None,
    body: dict[str, Any],
    field: str,
) -> None:
    before = counts(db_session)
    text = raw_json(body).replace('"{address}"', str(world["address"]))
    response = client.open(
        path.format(customer=world["customer"]),
        method=method,
        data=text,
        content_type="application/json",
        headers=world["headers"][who],
    )
    problem = assert_problem(response, 422, "validation_error")
    assert list(problem["errors"]) == [field]
    assert counts(db_session) == before


def test_a_lone_surrogate_in_a_field_name_is_a_422(client: FlaskClient, world: dict[str, Any]) -> None:
    response = client.post(
        "/api/users/me/addresses",
        data=raw_json(ADDRESS | {LONE: "x"}),
        content_type="application/json",
        headers=world["headers"]["customer"],
    )
    assert_problem(response, 422, "validation_error")


def _load_schemas() -> list[type[Schema]]:
    """Every schema class that validates input: the InSchemas and QuerySchemas of app.schemas."""
    import importlib
    import pkgutil

    from app.schemas.base import InSchema, QuerySchema

    found: dict[str, type[Schema]] = {}
    for module in pkgutil.iter_modules(schemas.__path__):
        loaded = importlib.import_module(f"app.schemas.{module.name}")
        for value in vars(loaded).values():
            if isinstance(value, type) and issubclass(value, InSchema | QuerySchema):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


def test_every_string_field_of_every_input_schema_checks_its_text() -> None:
    unchecked = [
        f"{schema.__name__}.{name}"
        for schema in _load_schemas()
        for name, field in schema().fields.items()
        if isinstance(field, fields.String) and not isinstance(field, Text | Email | Url)
    ]
    assert unchecked == []


def test_every_date_field_of_every_input_schema_is_bounded() -> None:
    unbounded = [
        f"{schema.__name__}.{name}"
        for schema in _load_schemas()
        for name, field in schema().fields.items()
        if isinstance(field, fields.Date) and not isinstance(field, Day)
    ]
    assert unbounded == []


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("analytics", ["false", "true"])
@pytest.mark.parametrize("day", ["9999-12-31", "3000-01-01", "1969-12-31"])
def test_a_date_filter_out_of_range_is_a_422(
    client: FlaskClient, db_session: Session, auth_headers: Headers, day: str, analytics: str
) -> None:
    headers = auth_headers(make_user(db_session, role="admin"))
    response = client.get(f"/api/sales/admin/sales?date_to={day}&analytics={analytics}", headers=headers)
    problem = assert_problem(response, 422, "validation_error")
    assert list(problem["errors"]) == ["date_to"]


@pytest.mark.parametrize("analytics", ["false", "true"])
def test_the_widest_date_range_is_answered(
    client: FlaskClient, db_session: Session, auth_headers: Headers, analytics: str
) -> None:
    headers = auth_headers(make_user(db_session, role="admin"))
    query = f"date_from={MIN_DAY}&date_to={MAX_DAY}&analytics={analytics}"
    assert client.get(f"/api/sales/admin/sales?{query}", headers=headers).status_code == 200


# --- paths and hosts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/users//login"), ("GET", "/api//products"), ("GET", "/api//health"), ("GET", "/api/products//1")],
)
def test_a_doubled_slash_is_a_404_problem_never_a_redirect_to_the_host_header(
    client: FlaskClient, method: str, path: str
) -> None:
    response = client.open(
        path,
        method=method,
        json={"email": "a@example.com", "password": "secret secret"},
        headers={"Host": "evil.example"},
    )
    assert_problem(response, 404, "not_found")
    assert "Location" not in response.headers


def test_no_route_answers_a_redirect(app: Flask, client: FlaskClient) -> None:
    """However a route's path is bent (slashes doubled, added, removed), no answer is a 3xx."""
    redirects = []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<[^>]+>", "1", rule.rule)
        doubled = "/" + path[1:].replace("/", "//")  # not the first: "//x" would name a host
        for bent in {path + "/", path.rstrip("/") or "/", doubled, path + "//"} - {"//", "///"}:
            # ("//..." would name a host in the test client's URL, not a path: the root's bends are left out.)
            status = client.get(bent, headers={"Host": "evil.example"}).status_code
            if 300 <= status < 400:
                redirects.append((bent, status))
    assert redirects == []


def test_a_host_outside_trusted_hosts_is_a_400_problem(make_app: Callable[..., Flask]) -> None:
    client = make_app(TRUSTED_HOSTS=["shop.example", ".api.example"]).test_client()
    response = client.get("/api/health/live", headers={"Host": "evil.example"})
    assert_problem(response, 400, "untrusted_host")
    assert "evil.example" not in response.get_data(as_text=True)
    for host in ("shop.example", "shop.example:5001", "eu.api.example"):
        assert client.get("/api/health/live", headers={"Host": host}).status_code == 200, host


def test_trusted_hosts_come_from_the_environment() -> None:
    from app.config import Config

    assert Config({}).TRUSTED_HOSTS is None
    assert Config({"TRUSTED_HOSTS": "shop.example, .api.example"}).TRUSTED_HOSTS == ["shop.example", ".api.example"]


# --- bodies --------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["[]", '[{"email": "a@example.com"}]', '"x"', "1", "1.5", "null", "true"])
@pytest.mark.parametrize(("path", "who"), [("/api/users/login", None), ("/api/products", "admin")])
def test_json_that_is_not_an_object_is_a_400_problem(
    client: FlaskClient, world: dict[str, Any], path: str, who: str | None, body: str
) -> None:
    response = client.post(path, data=body, content_type="application/json", headers=world["headers"][who])
    assert_problem(response, 400, "json_not_object")


def post_chunked(client: FlaskClient, path: str, body: bytes) -> Any:
    """A body without Content-Length, as gunicorn hands a chunked request to the app."""
    import io

    return client.post(
        path,
        input_stream=io.BytesIO(body),
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def login_body(size: int) -> bytes:
    """A login body of exactly `size` bytes."""
    body = json.dumps({"email": "nobody@example.com", "password": ""}).encode()
    return body.replace(b'"password": ""', b'"password": "' + b"p" * (size - len(body)) + b'"')


@pytest.fixture
def small_body_app(make_app: Callable[..., Flask], share_test_transaction: Callable[[Flask], Flask]) -> FlaskClient:
    return share_test_transaction(make_app(MAX_CONTENT_LENGTH=100)).test_client()


def test_a_chunked_body_over_the_limit_is_a_413_problem(small_body_app: FlaskClient) -> None:
    assert_problem(post_chunked(small_body_app, "/api/users/login", login_body(101)), 413, "payload_too_large")
    assert_problem(post_chunked(small_body_app, "/api/users/login", b"x" * 5000), 413, "payload_too_large")


@pytest.mark.parametrize("size", [99, 100])
def test_a_chunked_body_up_to_the_limit_is_read_whole(small_body_app: FlaskClient, size: int) -> None:
    assert_problem(post_chunked(small_body_app, "/api/users/login", login_body(size)), 401, "invalid_credentials")


# --- money ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "price",
    ["١٢.00", "۱۲.۰۰", "१२.00", "１２.00", "12.٠٠", "²", "1²"],
    ids=["arabic-indic", "persian", "devanagari", "fullwidth", "arabic-indic-cents", "superscript", "1-squared"],
)
def test_a_price_in_non_ascii_digits_is_a_422(
    client: FlaskClient, db_session: Session, world: dict[str, Any], price: str
) -> None:
    before = counts(db_session)
    response = client.post("/api/products", json=PRODUCT | {"price": price}, headers=world["headers"]["admin"])
    problem = assert_problem(response, 422, "validation_error")
    assert list(problem["errors"]) == ["price"]
    assert counts(db_session) == before


def test_a_price_filter_in_non_ascii_digits_is_a_422(client: FlaskClient) -> None:
    problem = assert_problem(client.get("/api/products?min_price=١٢"), 422, "validation_error")
    assert list(problem["errors"]) == ["min_price"]


@pytest.mark.parametrize("price", ["-0.00", "-0", "-0.0", "-00.00"])
def test_negative_zero_is_zero_stored_and_shown_as_0_00(
    client: FlaskClient, db_session: Session, world: dict[str, Any], price: str
) -> None:
    response = client.post("/api/products", json=PRODUCT | {"price": price}, headers=world["headers"]["admin"])
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["price"] == "0.00"
    assert client.get(f"/api/products/{response.get_json()['id']}").get_json()["price"] == "0.00"
    db_session.expire_all()
    stored = db_session.scalars(select(Product.price).where(Product.id == response.get_json()["id"])).one()
    assert str(stored) == "0.00"


# --- CORS ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("origins", [["https://shop.example"], ["https://shop.example", "https://admin.example"]])
@pytest.mark.parametrize("origin", ["https://shop.example", "https://evil.example", None])
@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
def test_cors_answers_vary_on_origin_once(
    make_app: Callable[..., Flask], origins: list[str], origin: str | None, method: str
) -> None:
    client = make_app(CORS_ORIGINS=origins).test_client()
    headers = {"Access-Control-Request-Method": "GET"} | ({"Origin": origin} if origin else {})
    response = client.open("/api/health/live", method=method, headers=headers)
    assert response.headers.getlist("Vary") == ["Origin"]


def test_without_cors_origins_nothing_varies_on_origin(client: FlaskClient) -> None:
    response = client.get("/api/health/live", headers={"Origin": "https://shop.example"})
    assert "Origin" not in response.headers.get("Vary", "")


# --- the docs page -------------------------------------------------------------------------------


def csp_of(response: Any) -> dict[str, set[str]]:
    directives = (d.split() for d in response.headers["Content-Security-Policy"].split(";") if d.strip())
    return {name: set(sources) for name, *sources in directives}


def test_the_docs_page_cannot_be_framed_and_loads_only_the_apps_own_assets(client: FlaskClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    csp = csp_of(response)
    assert csp["frame-ancestors"] == {"'none'"}
    assert csp["default-src"] == {"'none'"}
    assert csp["script-src"] == csp["style-src"] == csp["connect-src"] == {"'self'"}
    assert csp["img-src"] == {"'self'", "data:"}
    assert not any("unsafe" in source for sources in csp.values() for source in sources)


def test_the_docs_page_has_no_inline_script_and_its_scripts_are_served(client: FlaskClient) -> None:
    page = client.get("/api/docs").get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all(body.strip() == "" for _attrs, body in scripts)
    assert not re.search(r"\son[a-z]+=", page)  # no inline event handlers
    for attrs, _body in scripts:
        src = re.search(r'src="([^"]+)"', attrs)
        assert src is not None
        with client.get(src.group(1)) as served:
            assert served.status_code == 200, src.group(1)
            assert served.mimetype in {"text/javascript", "application/javascript"}
    stylesheet = re.search(r'<link href="([^"]+)"', page)
    assert stylesheet is not None
    with client.get(stylesheet.group(1)) as served:
        assert served.status_code == 200
    container = re.search(r'data-spec-url="([^"]+)"', page)
    assert container is not None and client.get(container.group(1)).status_code == 200


@pytest.mark.parametrize("path", ["/api/health/live", "/api/openapi.json", "/api/nothing-here"])
def test_api_answers_forbid_framing_too(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert csp_of(response)["frame-ancestors"] == {"'none'"}


# --- the app's own request log -------------------------------------------------------------------


def test_the_request_log_writes_the_raw_target_so_no_request_forges_a_line(client: FlaskClient) -> None:
    import logging

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("app.request")
    logger.addHandler(handler)
    try:
        client.get("/api/x%0aforged=1%20status=200?q=%0d%0a")
    finally:
        logger.removeHandler(handler)
    (line,) = [record.getMessage() for record in records]
    assert "\n" not in line and "\r" not in line
    assert " target=/api/x%0aforged=1%20status=200?q=%0d%0a " in line
