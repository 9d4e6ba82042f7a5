"""Flask-JWT-Extended callbacks: who the token's user is, and 401 problem documents for every token failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response

from app.extensions import db, jwt
from app.models import User
from app.models.base import utcnow
from app.repos.user_repo import UserRepo
from app.utils.exceptions import (
    FreshTokenRequired,
    InvalidToken,
    MissingToken,
    TokenExpired,
    TokenRevoked,
    Unauthorized,
)
from app.utils.problem import problem_for

BEARER = {"WWW-Authenticate": 'Bearer realm="api"'}


def load_keys(app: Flask) -> None:
    """Read the RS256 key pair named by the config (at app creation, never at import)."""
    if app.config.get("JWT_PRIVATE_KEY") and app.config.get("JWT_PUBLIC_KEY"):
        return
    private, public = (
        Path(app.config["JWT_PRIVATE_KEY_PATH"]),
        Path(app.config["JWT_PUBLIC_KEY_PATH"]),
    )
    if not (private.is_file() and public.is_file()):
        raise RuntimeError(
            f"JWT keys not found at {private} and {public}: run `make generate-keys` (or python generate_keys.py)."
        )
    app.config["JWT_PRIVATE_KEY"] = private.read_text()
    app.config["JWT_PUBLIC_KEY"] = public.read_text()


def _unauthorized(error: Unauthorized) -> Response:
    return problem_for(error, headers=BEARER)


@jwt.user_lookup_loader
def load_user(_header: dict[str, Any], claims: dict[str, Any]) -> User | None:
    """The token's user, read fresh per request, if its login session (`sid`) is live.

    Revocation lives in PostgreSQL (auth_sessions), read in the same query as the user, so the role
    and the active flag are never stale and a revoked token stays revoked across Redis outages.
    """
    sid = claims.get("sid")
    if not isinstance(sid, str) or not str(claims.get("sub", "")).isdigit():
        return None
    found = UserRepo(db.session()).get_with_session(int(claims["sub"]), sid)
    if found is None:
        return None
    user, session = found
    return user if session.is_live(user, utcnow()) else None


@jwt.user_lookup_error_loader
def user_lookup_failed(_header: dict[str, Any], _claims: dict[str, Any]) -> Response:
    return _unauthorized(TokenRevoked("This login is no longer valid; sign in again."))


@jwt.unauthorized_loader
def missing_token(reason: str) -> Response:
    return _unauthorized(MissingToken("Send a Bearer access token in the Authorization header."))


@jwt.invalid_token_loader
def invalid_token(reason: str) -> Response:
    return _unauthorized(InvalidToken("The token is not valid."))


@jwt.expired_token_loader
def expired_token(_header: dict[str, Any], _claims: dict[str, Any]) -> Response:
    return _unauthorized(TokenExpired("The token has expired."))


@jwt.revoked_token_loader
def revoked_token(_header: dict[str, Any], _claims: dict[str, Any]) -> Response:
    return _unauthorized(TokenRevoked("The token has been revoked."))


@jwt.needs_fresh_token_loader
def stale_token(_header: dict[str, Any], _claims: dict[str, Any]) -> Response:
    return _unauthorized(FreshTokenRequired("This action needs a fresh login."))


@jwt.token_verification_failed_loader
def verification_failed(_header: dict[str, Any], _claims: dict[str, Any]) -> Response:
    return _unauthorized(InvalidToken("The token is not valid."))
