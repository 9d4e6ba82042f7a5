"""Minting RS256 tokens for a login session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token


@dataclass(frozen=True)
class Lifetimes:
    access: timedelta
    refresh: timedelta


def lifetimes() -> Lifetimes:
    """The configured token lifetimes (JWT_ACCESS_TOKEN_MINUTES, JWT_REFRESH_TOKEN_DAYS)."""
    config = current_app.config
    return Lifetimes(access=config["JWT_ACCESS_TOKEN_EXPIRES"], refresh=config["JWT_REFRESH_TOKEN_EXPIRES"])


def access_token(user_id: int, session_id: str, *, fresh: bool = False) -> str:
    # PyJWT >= 2.10 requires a string subject.
    token: str = create_access_token(identity=str(user_id), additional_claims={"sid": session_id}, fresh=fresh)
    return token


def refresh_token(user_id: int, session_id: str, jti: str) -> str:
    """A refresh token whose jti is the session's current one (rotation checks it)."""
    token: str = create_refresh_token(identity=str(user_id), additional_claims={"sid": session_id, "jti": jti})
    return token
