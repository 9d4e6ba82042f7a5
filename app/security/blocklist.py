"""Revocation: a token is live only while its login session (`sid`) is.

Sessions live in PostgreSQL, next to the users table, and are checked in the same query that
loads the user for each request. So a revoked token stays revoked across Redis flushes,
restarts and outages, and on every app process at once, at no extra round trip.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.models import AuthSession, User


def is_live(session: AuthSession | None, user: User | None, now: datetime) -> bool:
    """True when the session exists, is not revoked or expired, and its user is active."""
    return (
        session is not None
        and user is not None
        and session.revoked_at is None
        and session.expires_at > now
        and user.is_active
    )


def token_session_id(claims: dict[str, Any]) -> str | None:
    sid = claims.get("sid")
    return sid if isinstance(sid, str) else None
