"""Minting RS256 tokens for a login session."""

from __future__ import annotations

from flask_jwt_extended import create_access_token, create_refresh_token


def access_token(user_id: int, session_id: str, *, fresh: bool = False) -> str:
    # PyJWT >= 2.10 requires a string subject.
    token: str = create_access_token(identity=str(user_id), additional_claims={"sid": session_id}, fresh=fresh)
    return token


def refresh_token(user_id: int, session_id: str, jti: str) -> str:
    """A refresh token whose jti is the session's current one (rotation checks it)."""
    token: str = create_refresh_token(identity=str(user_id), additional_claims={"sid": session_id, "jti": jti})
    return token
