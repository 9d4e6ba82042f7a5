"""Every error response: RFC 9457 problem documents, built in one place."""

from __future__ import annotations

import http
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, json
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, SecurityError

from app.api.spec import PROBLEM_CONTENT_TYPE, JsonNotObject, MalformedJson
from app.extensions import db
from app.utils.exceptions import AppError, Unavailable

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def problem(
    status: int,
    *,
    detail: str | None = None,
    title: str | None = None,
    code: str | None = None,
    errors: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    """An application/problem+json response."""
    phrase = http.HTTPStatus(status).phrase
    code = code or HTTP_CODES.get(status, "error")
    body: dict[str, Any] = {
        "type": f"urn:problem-type:{code}",
        "title": title or phrase,
        "status": status,
        "detail": detail or phrase,
        "code": code,
        **extra,
    }
    if errors is not None:
        body["errors"] = dict(errors)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_CONTENT_TYPE)
    response.headers.update(headers or {})
    return response


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow/webargs messages as {"field.path": [message, ...]}, without webargs' location level."""
    if isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            return {prefix or "_body": list(messages)}
        messages = dict(enumerate(messages))
    if not isinstance(messages, Mapping):
        return {prefix or "_body": [str(messages)]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = str(key)
        if not prefix and name in {"json", "query", "querystring", "path", "headers", "view_args"}:
            name = ""
        if name == "_schema":
            name = ""
        path = ".".join(p for p in (prefix, name) if p)
        for field, texts in flatten_messages(value, path).items():
            flat.setdefault(field, []).extend(texts)
    return flat


def handle_app_error(error: AppError) -> Response:
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, Unavailable) else None
    return problem(
        error.status,
        title=error.title,
        detail=error.detail,
        code=error.code,
        errors=getattr(error, "errors", None),
        headers=headers,
        **error.extra,
    )


def handle_validation_error(error: ValidationError) -> Response:
    return _validation_problem(error.messages)


def _validation_problem(messages: Any) -> Response:
    return problem(
        422,
        detail="The request has invalid fields.",
        errors=flatten_messages(messages),
    )


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if status == 422 and "messages" in data:
        return _validation_problem(data["messages"])
    headers = {k: v for k, v in error.get_headers() if k.lower() not in {"content-type", "content-length"}}
    if isinstance(error, MalformedJson | JsonNotObject):
        return problem(400, detail=error.description, code=error.problem_code)
    if isinstance(error, SecurityError):  # a Host header outside TRUSTED_HOSTS
        return problem(400, detail="This server does not answer for the requested host.", code="untrusted_host")
    detail = error.description if status != 500 else None
    return problem(status, detail=detail, headers=headers)


def handle_database_unavailable(error: Exception) -> Response:
    log.warning("database unavailable: %s", type(error).__name__, exc_info=error)
    return handle_app_error(Unavailable("The database is unavailable; try again shortly."))


def handle_integrity_error(error: IntegrityError) -> Response:
    # Known constraints are translated by services; reaching here means a mapping is missing.
    log.error("untranslated integrity error", exc_info=error)
    return problem(409, detail="The request conflicts with the current state of a resource.")


def handle_unexpected(error: Exception) -> Response:
    log.exception("unhandled error (request %s)", g.get("request_id", "-"))
    return problem(500, detail="An unexpected error occurred; it has been logged.")


def register_error_handlers(app: Flask) -> None:
    """Route every error to a problem document, rolling back the session first."""

    def with_rollback(handler: Any) -> Any:
        def handle(error: Any) -> Response:
            db.session.rollback()
            return handler(error)  # type: ignore[no-any-return]

        return handle

    app.register_error_handler(AppError, with_rollback(handle_app_error))
    app.register_error_handler(ValidationError, with_rollback(handle_validation_error))
    app.register_error_handler(HTTPException, with_rollback(handle_http_exception))
    app.register_error_handler(OperationalError, with_rollback(handle_database_unavailable))
    app.register_error_handler(PoolTimeout, with_rollback(handle_database_unavailable))
    app.register_error_handler(IntegrityError, with_rollback(handle_integrity_error))
    app.register_error_handler(Exception, with_rollback(handle_unexpected))
