"""Minting RS256 tokens for a login session."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token


@dataclass(frozen=True)
class Lifetimes:
    access: timedelta
    refresh: timedelta
    device: timedelta = timedelta(days=180)


def lifetimes() -> Lifetimes:
    """The configured lifetimes (JWT_ACCESS_TOKEN_MINUTES, JWT_REFRESH_TOKEN_DAYS, DEVICE_TOKEN_DAYS)."""
    config = current_app.config
    return Lifetimes(
        access=config["JWT_ACCESS_TOKEN_EXPIRES"],
        refresh=config["JWT_REFRESH_TOKEN_EXPIRES"],
        device=timedelta(days=config["DEVICE_TOKEN_DAYS"]),
    )


def access_token(
    user_id: int, session_id: str, *, role: str, issued_at: float | None = None, fresh: bool = False
) -> str:
    """An access token carrying what authorisation needs: sub, sid, role, jti, iat, exp.

    `iat` is the moment the role was read (epoch seconds, sub-second precision), so that a token
    minted from a row read before a role change is issued before that change's mark, and void.
    """
    issued = time.time() if issued_at is None else issued_at
    lifetime = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()
    claims = {"sid": session_id, "role": str(role), "iat": issued, "exp": int(issued + lifetime)}
    # PyJWT >= 2.10 requires a string subject.
    token: str = create_access_token(identity=str(user_id), additional_claims=claims, fresh=fresh)
    return token


def refresh_token(user_id: int, session_id: str, jti: str) -> str:
    """A refresh token whose jti is the session's current one (rotation checks it)."""
    token: str = create_refresh_token(identity=str(user_id), additional_claims={"sid": session_id, "jti": jti})
    return token
