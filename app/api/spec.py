"""Our flask-smorest bases: the Api (problem documents in the spec) and the Blueprint."""

from __future__ import annotations

import http
from collections.abc import Callable
from typing import Any

import flask_smorest
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

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            if status >= 400:
                self._register_problem(status.name, status.phrase)
        self._register_problem("DEFAULT_ERROR", "Error")

    def _register_problem(self, name: str, description: str) -> None:
        response: dict[str, Any] = {"description": description, "schema": ProblemSchema}
        prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
        self.spec.components.response(name, response, lazy=True)

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

    def auth(self, *roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Require a Bearer token whose user has one of `roles`; documents security, 401 and 403."""

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            view = roles_required(*roles)(view)
            view = self.doc(security=[{"bearerAuth": []}])(view)
            return self.errors(401, 403)(view)

        return decorator

    def errors(self, *statuses: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Document the problem responses a view can give."""

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            for status in statuses:
                view = self.alt_response(status, response=http.HTTPStatus(status).name)(view)
            return view

        return decorator


api = Api()
