"""Our flask-smorest bases: the Api (introduction, problem documents, response headers, operation ids in the
spec) and the Blueprint (auth, documented errors and links)."""

from __future__ import annotations

import http
from collections.abc import Callable
from typing import Any

import flask_smorest
from apispec import BasePlugin
from flask import Flask, Request, current_app, send_from_directory
from flask.typing import ResponseReturnValue
from flask_smorest.utils import prepare_response
from marshmallow import INCLUDE, Schema, fields
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType
from werkzeug.routing import IntegerConverter

from app.security.decorators import roles_required

PROBLEM_CONTENT_TYPE = "application/problem+json"

INTRODUCTION = """\
REST API of an online shop: a public catalog, carts, checkout, sales and invoices for customers, and
product, user and sales management for admins.

## Getting a token

1. `POST /api/users/register` with `{"email", "password", "name"}` creates a customer account
   (on a development server, `make dev` has also created the admin printed at the end of its output).
2. `POST /api/users/login` with `{"email", "password"}` answers an `access_token` (short-lived,
   15 minutes by default, `expires_in` seconds) and a `refresh_token` (30 days by default).
3. Send `Authorization: Bearer <access_token>` on every protected call. In these docs, press
   **Authorize** and paste the access token.
4. When the access token expires (401 `token_expired`), call `POST /api/users/refresh` with
   `Authorization: Bearer <refresh_token>`: it answers a new pair, and the refresh token you sent is
   spent (sending it again revokes the whole login). `POST /api/users/logout` ends the login at once.

## Conventions

- JSON in and out. Unknown fields in a body are a 422, never ignored.
- Errors are RFC 9457 problem documents (`application/problem+json`) with a stable `code`;
  validation errors (422) add `errors: {"field": ["message"]}`.
- Money is a string with at most two decimals (`"19.99"`) in the shop's `currency`.
- Times are ISO 8601 in UTC with `Z`. Ids are positive integers.
- Lists are pages: `?page=1&per_page=20` (1 to 100) answered as `{items, page, per_page, total, pages}`.
- Every response carries `X-Request-ID` (yours, echoed, or a new one): quote it when reporting a problem.
- Rate limits answer 429 with `Retry-After`; a retried checkout is safe with an `Idempotency-Key`.
- The OpenAPI links on responses say which id feeds which call (a new product's id into the cart,
  a checkout's sale id into the sale, invoice, cancel and status operations, an address id into checkout).
"""

# Headers every response may carry, documented once and referenced from each response.
RESPONSE_HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "The request's id: the client's own X-Request-ID when it sent one, else a new one.",
        "required": True,
        "schema": {"type": "string"},
    },
    "X-RateLimit-Limit": {
        "description": "Requests allowed in the current window (absent when rate limits are off).",
        "schema": {"type": "integer", "minimum": 0},
    },
    "X-RateLimit-Remaining": {
        "description": "Requests left in the current window (absent when rate limits are off).",
        "schema": {"type": "integer", "minimum": 0},
    },
    "X-RateLimit-Reset": {
        "description": "Unix time (seconds) when the current window resets (absent when rate limits are off).",
        "schema": {"type": "integer", "minimum": 0},
    },
}
RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}
# Statuses whose problem documents come with Retry-After.
RETRY_STATUSES = {"TOO_MANY_REQUESTS", "SERVICE_UNAVAILABLE"}
# Views that touch neither the database nor the cache, so never answer 503.
NO_DATABASE = {"getLiveness", "getRoot", "getApiRoot"}
UNAVAILABLE = {"$ref": "#/components/responses/SERVICE_UNAVAILABLE"}


def _header_refs(*names: str) -> dict[str, dict[str, str]]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def operation_id(endpoint: str) -> str:
    """`products.get_product` -> `getProduct`: the view's name, in the camel case client generators expect."""
    first, *rest = endpoint.rsplit(".", 1)[-1].split("_")
    return first + "".join(word.capitalize() for word in rest)


class DocumentationPlugin(BasePlugin):
    """Names every operation after its view and documents the headers every response carries."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        rule = kwargs.get("rule")
        for operation in (operations or {}).values():
            if rule is not None:
                operation.setdefault("operationId", operation_id(rule.endpoint))
            responses = operation.setdefault("responses", {})
            if operation.get("operationId") not in NO_DATABASE and 503 not in responses and "503" not in responses:
                responses[503] = UNAVAILABLE  # the database is down or too slow: retry after Retry-After
            for response in responses.values():
                if isinstance(response, dict) and "$ref" not in response:
                    response["headers"] = _header_refs(*RESPONSE_HEADERS) | response.get("headers", {})


class ProblemSchema(Schema):
    """An RFC 9457 problem document."""

    class Meta:
        unknown = INCLUDE  # some problems carry extension members (e.g. the products short of stock)

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    code = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Per-field messages (validation errors only)"},
    )


class IdConverter(IntegerConverter):
    """Path ids: positive and within PostgreSQL's integer, anything else simply 404s."""

    def __init__(self, map: Any) -> None:  # noqa: A002 - werkzeug's signature
        super().__init__(map, min=1, max=2**31 - 1)


class MalformedJson(BadRequest):
    description = "The body is not valid JSON."


class JsonBodyParser(FlaskParser):
    """Parses bodies with the app's JSON provider; a body that is not JSON is a 415."""

    def _raw_load_json(self, req: Request) -> Any:
        data = req.get_data(cache=True)
        if not data:
            return core.missing
        if not is_json_request(req):
            raise UnsupportedMediaType("Send the body as application/json.")
        try:
            return current_app.json.loads(data)
        except ValueError as exc:
            raise MalformedJson() from exc


class Api(flask_smorest.Api):  # type: ignore[misc]
    """Documents every error response as application/problem+json with ProblemSchema."""

    ERROR_SCHEMA = ProblemSchema

    def _init_spec(self, **kwargs: Any) -> None:
        kwargs.setdefault("info", {"description": INTRODUCTION})
        kwargs["extra_plugins"] = [*kwargs.get("extra_plugins", ()), DocumentationPlugin()]
        super()._init_spec(**kwargs)
        for name, header in {**RESPONSE_HEADERS, "Retry-After": RETRY_AFTER}.items():
            self.spec.components.header(name, header)

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            if status >= 400:
                self._register_problem(status.name, status.phrase)
        self._register_problem("DEFAULT_ERROR", "Error")

    def _register_problem(self, name: str, description: str) -> None:
        headers = _header_refs(*RESPONSE_HEADERS, *(["Retry-After"] if name in RETRY_STATUSES else []))
        response: dict[str, Any] = {"description": description, "schema": ProblemSchema, "headers": headers}
        prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
        # Every operation that reads the database documents 503, so that one is always in the document.
        self.spec.components.response(name, response, lazy=name != "SERVICE_UNAVAILABLE")

    def _register_error_handlers(self) -> None:
        """Errors are ours: app/api/errors.py registers them."""

    def _register_doc_blueprint(self) -> None:
        super()._register_doc_blueprint()
        # Swagger UI's files come from the swagger-ui-bundle package: no CDN needed.
        from swagger_ui_bundle import swagger_ui_path

        def docs_asset(filename: str) -> ResponseReturnValue:
            return send_from_directory(swagger_ui_path, filename, max_age=86400)

        self._app.add_url_rule("/api/docs/assets/<path:filename>", "api-docs-assets", docs_asset)


def register_converters(app: Flask, api: Api) -> None:
    app.url_map.converters["id"] = IdConverter
    api.register_converter(IdConverter, lambda _c: {"type": "integer", "minimum": 1, "maximum": 2**31 - 1})


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    ARGUMENTS_PARSER = JsonBodyParser()

    def auth(self, *roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Require a Bearer token whose user has one of `roles`; documents security, 401 and 403."""

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            view = roles_required(*roles)(view)
            view = self.doc(security=[{"bearerAuth": []}])(view)
            return self.errors(401, 403)(view)

        return decorator

    def links(self, status: int, **links: dict[str, Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Document OpenAPI links on the `status` response: which later call takes which value of it."""
        return self.doc(responses={status: {"links": links}})  # type: ignore[no-any-return]

    def errors(self, *statuses: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Document the problem responses a view can give."""

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            for status in statuses:
                view = self.alt_response(status, response=http.HTTPStatus(status).name)(view)
            return view

        return decorator
