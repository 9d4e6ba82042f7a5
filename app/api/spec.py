"""Our flask-smorest bases: the Api (introduction, problem documents, response headers, operation ids in the
spec) and the Blueprint (auth, documented errors and links)."""

from __future__ import annotations

import http
from collections.abc import Callable
from typing import Any

import flask_smorest
from apispec import BasePlugin
from flask import Flask, Request, Response, current_app, send_from_directory, url_for
from flask.typing import ResponseReturnValue
from flask_smorest.utils import prepare_response
from marshmallow import INCLUDE, Schema, fields
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType
from werkzeug.routing import IntegerConverter

from app.api import docs
from app.models.user import Role
from app.security.decorators import roles_required
from app.utils.problem import PROBLEM_CONTENT_TYPE

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
    problem_code = "malformed_json"


class JsonNotObject(BadRequest):
    description = "The body must be a JSON object."
    problem_code = "json_not_object"


class JsonBodyParser(FlaskParser):
    """Parses bodies with the app's JSON provider: a body that is not JSON is a 415, one that is not
    a JSON object a 400, one over MAX_CONTENT_LENGTH a 413 (with or without a Content-Length)."""

    def _raw_load_json(self, req: Request) -> Any:
        data = req.get_data(cache=True)
        if not data:
            return core.missing
        _refuse_cut_body(req, data)
        if not is_json_request(req):
            raise UnsupportedMediaType("Send the body as application/json.")
        try:
            body = current_app.json.loads(data)
        except ValueError as exc:
            raise MalformedJson() from exc
        if not isinstance(body, dict):  # every body this API reads is an object
            raise JsonNotObject()
        return body


def _refuse_cut_body(req: Request, data: bytes) -> None:
    """A body sent without Content-Length (chunked) over MAX_CONTENT_LENGTH: 413.

    Werkzeug refuses a Content-Length over the limit up front, but cuts a chunked body at the limit
    and hands over the first part as if it were all (werkzeug.wsgi.LimitedStream.readall): peek one
    byte past it, on the server's own stream, to tell "exactly the limit" from "more".
    """
    limit = req.max_content_length
    if req.content_length is None and limit is not None and len(data) >= limit and req.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()


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

        def docs_init() -> ResponseReturnValue:
            return Response(docs.INIT_SCRIPT, mimetype="text/javascript", headers={"Cache-Control": "max-age=86400"})

        self._app.add_url_rule("/api/docs/assets/<path:filename>", "api-docs-assets", docs_asset)
        self._app.add_url_rule("/api/docs/init.js", "api-docs-init", docs_init)

    def _openapi_swagger_ui(self) -> ResponseReturnValue:
        """Swagger UI, with a CSP that allows only this app's assets (flask-smorest's page has inline script)."""
        page = docs.docs_page(
            title=self.spec.title,
            spec_url=url_for(f"{self._make_doc_blueprint_name()}.openapi_json"),
            assets_url=self._swagger_ui_url,
            init_url=url_for("api-docs-init"),
            ui_config=self.config.get("OPENAPI_SWAGGER_UI_CONFIG", {}),
        )
        return Response(
            page,
            mimetype="text/html",
            headers={"Content-Security-Policy": docs.DOCS_CSP, "X-Frame-Options": "DENY"},
        )


def register_converters(app: Flask, api: Api) -> None:
    app.url_map.converters["id"] = IdConverter
    api.register_converter(IdConverter, lambda _c: {"type": "integer", "minimum": 1, "maximum": 2**31 - 1})


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    ARGUMENTS_PARSER = JsonBodyParser()

    def arguments(self, schema: type[Schema] | Schema, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        """As flask-smorest's, with a schema class instantiated once here: webargs would instantiate it
        on every request (a copy of every declared field, about 0.1 ms a request)."""
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)  # type: ignore[no-any-return]

    def auth(self, *roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
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


api = Api()
