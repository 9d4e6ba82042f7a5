"""GET /api/health: is the database there, and the cache?"""

from __future__ import annotations

from flask import Response, jsonify
from marshmallow import Schema, fields

from app.api.spec import Blueprint
from app.cache import store
from app.services.health_service import HealthService

bp = Blueprint("health", __name__, url_prefix="/api/health", description="Service health")


class HealthOut(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "degraded"]})
    database = fields.String(required=True, metadata={"enum": ["ok", "error"]})
    cache = fields.String(required=True, metadata={"enum": ["ok", "error", "disabled"]})


@bp.get("")
@bp.response(200, HealthOut)
@bp.alt_response(503, schema=HealthOut, description="The database is down")
def get_health() -> Response:
    """Report the database and cache status."""
    database = "ok" if HealthService().database_ok() else "error"
    cache = store.status()
    status = "ok" if database == "ok" and cache != "error" else "degraded"
    response = jsonify(status=status, database=database, cache=cache)
    response.status_code = 200 if database == "ok" else 503
    return response


class LiveOut(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok"]})


@bp.get("/live")
@bp.response(200, LiveOut)
def get_liveness() -> dict[str, str]:
    """Liveness: the process answers (touches neither the database nor the cache)."""
    return {"status": "ok"}
