"""/api/users: Users, authentication, profiles and delivery addresses."""

from __future__ import annotations

from app.api.spec import Blueprint

bp = Blueprint(
    "users",
    __name__,
    url_prefix="/api/users",
    description="Users, authentication, profiles and delivery addresses",
)
