"""Every error response is an RFC 9457 problem document (app/utils/problem.py builds them).

No handler rolls back: a service's unit of work already has, and the request's session is closed
when the request ends.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, SecurityError

from app.api.spec import JsonNotObject, MalformedJson
from app.utils.exceptions import AppError, Unavailable
from app.utils.problem import problem, problem_for

log = logging.getLogger(__name__)


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
    return problem_for(error)


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
    if status == 400 and "messages" in data:  # a header that fails its schema (see CheckoutHeaders)
        return problem(
            400,
            detail="The request has invalid headers.",
            code="invalid_header",
            errors=flatten_messages(data["messages"]),
        )
    headers = {k: v for k, v in error.get_headers() if k.lower() not in {"content-type", "content-length"}}
    if status == 429 and "Retry-After" not in headers:
        # Flask-Limiter adds it only with RATELIMIT_HEADERS_ENABLED; the window's length is an upper bound.
        limit = getattr(getattr(error, "limit", None), "limit", None)
        headers["Retry-After"] = str(limit.get_expiry() if limit is not None else 60)
    if isinstance(error, MalformedJson | JsonNotObject):
        return problem(400, detail=error.description, code=error.problem_code)
    if isinstance(error, SecurityError):  # a Host header outside TRUSTED_HOSTS
        return problem(400, detail="This server does not answer for the requested host.", code="untrusted_host")
    detail = error.description if status != 500 else None
    return problem(status, detail=detail, headers=headers)


def handle_database_unavailable(error: Exception) -> Response:
    log.warning("database unavailable: %s", type(error).__name__, exc_info=error)
    return problem_for(Unavailable("The database is unavailable; try again shortly."))


def handle_integrity_error(error: IntegrityError) -> Response:
    # Known constraints are translated by services; reaching here means a mapping is missing.
    log.error("untranslated integrity error", exc_info=error)
    return problem(409, detail="The request conflicts with the current state of a resource.")


def handle_unexpected(error: Exception) -> Response:
    log.exception("unhandled error (request %s)", g.get("request_id", "-"))
    return problem(500, detail="An unexpected error occurred; it has been logged.")


def register_error_handlers(app: Flask) -> None:
    """Route every error to a problem document."""
    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(PoolTimeout, handle_database_unavailable)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(Exception, handle_unexpected)
