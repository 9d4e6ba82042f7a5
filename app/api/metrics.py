"""/metrics: Prometheus text format, only when METRICS_ENABLED, only with the METRICS_TOKEN bearer.

Not part of the OpenAPI document (it is for the monitoring system, not for API clients). The token is
compared in constant time; a missing or wrong one is a 401 problem document, as for any protected route.
"""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, Flask, Response, current_app, g, request

from app.config import ConfigError
from app.utils import metrics
from app.utils.problem import problem

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def get_metrics() -> Response:
    expected = f"Bearer {current_app.config['METRICS_TOKEN']}".encode()
    if not hmac.compare_digest(request.headers.get("Authorization", "").encode(), expected):
        return problem(
            401,
            detail="Send the metrics token as a Bearer token.",
            code="missing_token",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    body, content_type = metrics.render()
    return Response(body, content_type=content_type)


def register_metrics(app: Flask) -> None:
    """Count every request by route and status, with its latency, and serve /metrics. Only when enabled."""
    if not app.config.get("METRICS_ENABLED"):
        return
    if not app.config.get("METRICS_TOKEN"):
        raise ConfigError("METRICS_ENABLED needs METRICS_TOKEN (the bearer token /metrics asks for)")
    metrics.enable()
    app.register_blueprint(bp)
    from app.extensions import limiter

    limiter.exempt(get_metrics)

    @app.after_request
    def count_request(response: Response) -> Response:
        rule = request.url_rule
        route = rule.rule if rule is not None else "unmatched"
        started = g.get("started")
        elapsed = time.perf_counter() - started if started is not None else 0.0
        metrics.request_done(request.method, route, response.status_code, elapsed)
        if request.endpoint == "sales.checkout":
            metrics.checkout_done(_checkout_outcome(response))
        return response


def _checkout_outcome(response: Response) -> str:
    if response.status_code == 201:
        return "replayed" if response.headers.get("Idempotent-Replayed") == "true" else "created"
    body = response.get_json(silent=True)
    code = body.get("code") if isinstance(body, dict) else None
    return str(code) if code else f"status_{response.status_code}"
