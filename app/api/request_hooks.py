"""Request hooks: a request id on every response, the security headers, and one log line per request."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from app.utils.request_target import printable_target

log = logging.getLogger("app.request")
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def register_request_hooks(app: Flask) -> None:
    """Register the hooks (first in the factory, so these after_request hooks run last)."""

    @app.before_request
    def assign_request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _VALID_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        set_security_headers(response)
        if app.config["LOG_REQUESTS"]:
            log_request(request_id, response)
        return response


def set_security_headers(response: Response) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    # JSON needs no sources, and nothing here is meant to be framed; the docs page sets its own policy.
    response.headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.status_code not in (429, 503):
        # Flask-Limiter sends Retry-After on every response; it only means something on these.
        response.headers.pop("Retry-After", None)
    if request.headers.get("Authorization"):
        # Nothing a token unlocked may be kept by browsers or proxies.
        response.headers["Cache-Control"] = "no-store"


def log_request(request_id: str, response: Response) -> None:
    elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    log.info(
        "request_id=%s method=%s target=%s status=%s duration_ms=%.1f",
        request_id,
        request.method,
        printable_target(request.environ.get("RAW_URI") or request.full_path),
        response.status_code,
        elapsed_ms,
    )
