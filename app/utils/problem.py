"""RFC 9457 problem documents: the one builder every layer's error responses go through."""

from __future__ import annotations

import http
from collections.abc import Mapping
from typing import Any

from flask import Response, json

from app.utils.exceptions import AppError

PROBLEM_CONTENT_TYPE = "application/problem+json"

# The code of a problem that no catalogue error names (routing, parsing, framework errors).
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


def problem_for(error: AppError, headers: Mapping[str, str] | None = None) -> Response:
    """The problem document of a catalogue error: its status, title, code, detail and extension members."""
    all_headers = dict(headers or {})
    retry_after = getattr(error, "retry_after", None)  # Unavailable, RateLimited
    if retry_after is not None:
        all_headers["Retry-After"] = str(retry_after)
    return problem(
        error.status,
        title=error.title,
        detail=error.detail,
        code=error.code,
        errors=getattr(error, "errors", None),
        headers=all_headers,
        **error.extra,
    )
