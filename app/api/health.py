"""/api/health: is the database there, and the cache?"""

from __future__ import annotations

from app.api.spec import Blueprint
from app.schemas.health import HealthOut, LiveOut
from app.services.health_service import Health, HealthService

bp = Blueprint("health", __name__, url_prefix="/api/health", description="Service health")


@bp.get("")
@bp.response(200, HealthOut)
@bp.alt_response(503, schema=HealthOut, description="The database is down")
def get_health() -> tuple[Health, int]:
    """Report the database and cache status."""
    health = HealthService().check()
    return health, 200 if health.database_ok else 503


@bp.get("/live")
@bp.response(200, LiveOut)
def get_liveness() -> dict[str, str]:
    """Liveness: the process answers (touches neither the database nor the cache)."""
    return {"status": "ok"}
