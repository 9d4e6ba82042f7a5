"""The OpenAPI document: valid, introduced, with examples, headers, operation ids and links, and every rule stated."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate
from schemathesis.generation import GenerationMode
from sqlalchemy.orm import Session

from app.models import User
from tests.builders import make_address, make_cart, make_product, make_user

METHODS = {"get", "post", "put", "patch", "delete"}
Login = Callable[[User], dict[str, str]]


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    return client.get("/api/openapi.json").get_json()  # type: ignore[no-any-return]


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """`node` with every local $ref replaced by what it points at."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return resolve(spec, target)
        return {key: resolve(spec, value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(spec, value) for value in node]
    return node


def test_the_document_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)


def test_the_introduction_explains_login_the_bearer_token_and_refresh(spec: dict[str, Any]) -> None:
    introduction = spec["info"]["description"]
    for words in ("POST /api/users/login", "Authorization: Bearer", "POST /api/users/refresh", "Authorize"):
        assert words in introduction


def test_every_operation_has_a_unique_operation_id(spec: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(spec)]
    assert len(ids) == len(set(ids))
    assert {"createProduct", "getProduct", "addCartItem", "checkout", "getSale", "getInvoice"} <= set(ids)


def test_every_request_body_has_an_example_that_its_schema_accepts(spec: dict[str, Any]) -> None:
    checked = 0
    for path, method, operation in operations(spec):
        if "requestBody" not in operation:
            continue
        content = operation["requestBody"]["content"]["application/json"]
        examples = [content["example"]] if "example" in content else [e["value"] for e in content["examples"].values()]
        assert examples, f"{method.upper()} {path} has no example"
        validator = OAS30Validator(resolve(spec, content["schema"]))
        for example in examples:
            validator.validate(example)
            checked += 1
    assert checked >= 14  # every body in the API, ProfilePatch with two


def test_every_response_documents_its_request_id_and_rate_limit_headers(spec: dict[str, Any]) -> None:
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            headers = resolve(spec, response).get("headers", {})
            assert {"X-Request-ID", "X-RateLimit-Remaining"} <= set(headers), f"{method} {path} {status}"
            assert all("schema" in header for header in headers.values())


def test_rate_limited_and_unavailable_answers_document_retry_after(spec: dict[str, Any]) -> None:
    responses = spec["components"]["responses"]
    assert "Retry-After" in responses["TOO_MANY_REQUESTS"]["headers"]
    assert "Retry-After" in responses["SERVICE_UNAVAILABLE"]["headers"]


def test_checkout_documents_the_idempotency_headers(spec: dict[str, Any]) -> None:
    checkout = spec["paths"]["/api/sales/checkout"]["post"]
    key = next(p for p in checkout["parameters"] if p["name"] == "Idempotency-Key")
    assert key["schema"]["maxLength"] == 255
    assert checkout["responses"]["201"]["headers"]["Idempotent-Replayed"]["schema"] == {
        "type": "string",
        "enum": ["true"],
    }


def test_ids_in_responses_are_linked_to_the_operations_that_take_them(spec: dict[str, Any]) -> None:
    def targets(path: str, method: str, status: str) -> set[str]:
        links = spec["paths"][path][method]["responses"][status]["links"]
        return {link["operationId"] for link in links.values()}

    assert targets("/api/products", "post", "201") >= {
        "getProduct",
        "updateProduct",
        "changeProduct",
        "archiveProduct",
        "addCartItem",
        "updateCartItem",
        "removeCartItem",
    }
    assert targets("/api/sales/checkout", "post", "201") >= {"getSale", "getInvoice", "cancelSale", "updateSaleStatus"}
    assert "checkout" in targets("/api/users/me/addresses", "post", "201")


def test_following_the_links_of_a_new_product_and_a_checkout_reaches_them(
    client: FlaskClient, db_session: Session, auth_headers: Login, spec: dict[str, Any]
) -> None:
    admin = make_user(db_session, role="admin")
    headers = auth_headers(admin)
    by_id = {operation["operationId"]: (path, method) for path, method, operation in operations(spec)}

    def follow(link: dict[str, Any], body: dict[str, Any]) -> int:
        path, method = by_id[link["operationId"]]
        for name, expression in link.get("parameters", {}).items():
            path = path.replace("{" + name + "}", str(body[expression.removeprefix("$response.body#/")]))
        payload = {
            key: body[value.removeprefix("$response.body#/")] if str(value).startswith("$response") else value
            for key, value in link.get("requestBody", {}).items()
        }
        payload = payload or ({"quantity": 2} if link["operationId"] == "updateCartItem" else {})
        if link["operationId"] == "updateSaleStatus":
            payload = {"status": "paid"}
        if link["operationId"] == "checkout":
            payload["notes"] = "via the link"
        response = client.open(path, method=method.upper(), json=payload or None, headers=headers)
        return response.status_code

    created = client.post(
        "/api/products", json={"sku": "LINK-1", "name": "Linked", "price": "5.00", "stock": 9}, headers=headers
    )
    product_links = spec["paths"]["/api/products"]["post"]["responses"]["201"]["links"]
    order = ["GetProduct", "ChangeProduct", "AddToCart", "ChangeCartLine", "RemoveFromCart", "AddToCart"]
    assert [follow(product_links[name], created.get_json()) for name in order] == [200, 200, 201, 200, 204, 201]

    address = client.post(
        "/api/users/me/addresses",
        json={"recipient_name": "A", "line1": "1 Road", "city": "Town", "postal_code": "1000", "country": "BE"},
        headers=headers,
    )
    address_links = spec["paths"]["/api/users/me/addresses"]["post"]["responses"]["201"]["links"]
    assert follow(address_links["CheckoutToIt"], address.get_json()) == 201

    sale = client.get("/api/sales", headers=headers).get_json()["items"][0]
    sale_links = spec["paths"]["/api/sales/checkout"]["post"]["responses"]["201"]["links"]
    order = ["GetSale", "GetInvoice", "ChangeSaleStatus", "CancelSale"]
    assert [follow(sale_links[name], sale) for name in order] == [200, 200, 200, 200]


# A schema-driven fuzzer's bodies, generated from the document alone, pass validation: the document states
# every rule (patterns, lengths, ranges, formats) the API enforces on them.

GENERATED = settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck), derandomize=True
)


@pytest.fixture
def api_schema(app: Flask, db_session: Session) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def is_validation_failure(response: Any) -> bool:
    body = response.json() if response.headers.get("Content-Type", [""])[0].endswith("json") else {}
    return response.status_code == 422 and body.get("code") in {"validation_error", "invalid_idempotency_key"}


@GENERATED
@given(data=st.data())
def test_generated_product_bodies_pass_validation(
    data: st.DataObject, api_schema: schemathesis.BaseSchema, db_session: Session, auth_headers: Login
) -> None:
    headers = auth_headers(make_user(db_session, role="admin"))
    case = data.draw(api_schema["/api/products"]["POST"].as_strategy(generation_mode=GenerationMode.POSITIVE))
    response = case.call(headers=headers)
    assert not is_validation_failure(response), (json.dumps(case.body), response.text)
    assert response.status_code in (201, 409)


@GENERATED
@given(data=st.data())
def test_generated_checkout_bodies_pass_validation(
    data: st.DataObject, api_schema: schemathesis.BaseSchema, db_session: Session, auth_headers: Login
) -> None:
    buyer = make_user(db_session)
    make_address(db_session, buyer, is_default=True)
    make_cart(db_session, buyer, {make_product(db_session, stock=1000): 1})
    headers = auth_headers(buyer)
    case = data.draw(api_schema["/api/sales/checkout"]["POST"].as_strategy(generation_mode=GenerationMode.POSITIVE))
    response = case.call(headers=headers)
    assert not is_validation_failure(response), (json.dumps(case.body), case.headers, response.text)
    assert response.status_code in (201, 404), (case.body, case.headers, response.text)  # 404: not this buyer's address
