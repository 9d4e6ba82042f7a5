"""Request ids and one log line per request."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, request

log = logging.getLogger("app.request")
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def printable_target(raw: str) -> str:
    """A request target as sent (path and query, still percent-encoded), fit for one log line.

    Printable ASCII stays; anything else (CR, LF, space, quotes, bytes past 0x7e) is %-escaped, so no
    request can write a log line of its own, as a URL-decoded path with "%0a" in it would. WSGI hands
    the target over as bytes decoded as latin-1, so those are escaped byte for byte.
    """
    return "".join(ch if "!" <= ch <= "~" and ch not in '"\\' else _escaped(ch) for ch in raw)


def _escaped(ch: str) -> str:
    data = ch.encode("latin-1") if ord(ch) < 256 else ch.encode("utf-8", "replace")
    return "".join(f"%{byte:02X}" for byte in data)


def configure_logging(app: Flask) -> None:
    """Plain one-line logs on stderr; DEBUG for the cache logger when FLASK_DEBUG is on."""
    root = logging.getLogger("app")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root.addHandler(handler)
        root.propagate = False
    root.setLevel(logging.INFO)
    logging.getLogger("app.cache").setLevel(logging.DEBUG if app.debug else logging.INFO)


def register_request_hooks(app: Flask) -> None:
    @app.before_request
    def assign_request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _VALID_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        # JSON needs no sources, and nothing here is meant to be framed; the docs page sets its own policy.
        response.headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if response.status_code not in (429, 503):
            # Flask-Limiter sends Retry-After on every response; it only means something on these.
            response.headers.pop("Retry-After", None)
        if request.headers.get("Authorization"):
            response.headers["Cache-Control"] = "no-store"
        if not app.config["LOG_REQUESTS"]:
            return response
        elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.info(
            "request_id=%s method=%s target=%s status=%s duration_ms=%.1f",
            request_id,
            request.method,
            printable_target(request.environ.get("RAW_URI") or request.full_path),
            response.status_code,
            elapsed_ms,
        )
        return response
