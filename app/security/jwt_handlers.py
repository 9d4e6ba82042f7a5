"""Flask-JWT-Extended callbacks: who the token's user is, and 401 problem documents for every token failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response

from app.api.errors import problem
from app.extensions import db, jwt
from app.models import User
from app.models.base import utcnow
from app.repos.user_repo import UserRepo
from app.security.blocklist import is_live, token_session_id

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


def _unauthorized(detail: str, code: str = "invalid_token") -> Response:
    return problem(401, detail=detail, code=code, headers=BEARER)


@jwt.user_lookup_loader
def load_user(_header: dict[str, Any], claims: dict[str, Any]) -> User | None:
    """The token's user, read fresh per request: role and active flag are never stale."""
    sid = token_session_id(claims)
    if sid is None or not str(claims.get("sub", "")).isdigit():
        return None
    found = UserRepo(db.session()).get_with_session(int(claims["sub"]), sid)
    if found is None:
        return None
    user, session = found
    return user if is_live(session, user, utcnow()) else None


@jwt.user_lookup_error_loader
def user_lookup_failed(_header: dict[str, Any], _claims: dict[str, Any]) -> Response:
    return _unauthorized("This login is no longer valid; sign in again.", "token_revoked")


@jwt.unauthorized_loader
def missing_token(reason: str) -> Response:
    return _unauthorized("Send a Bearer access token in the Authorization header.", "missing_token")


@jwt.invalid_token_loader
def invalid_token(reason: str) -> Response:
    return _unauthorized("The token is not valid.")


@jwt.expired_token_loader
def expired_token(_header: dict[str, Any], _claims: dict[str, Any]) -> Response:
    return _unauthorized("The token has expired.", "token_expired")


@jwt.revoked_token_loader
def revoked_token(_header: dict[str, Any], _claims: dict[str, Any]) -> Response:
    return _unauthorized("The token has been revoked.", "token_revoked")


@jwt.needs_fresh_token_loader
def stale_token(_header: dict[str, Any], _claims: dict[str, Any]) -> Response:
    return _unauthorized("This action needs a fresh login.", "fresh_token_required")


@jwt.token_verification_failed_loader
def verification_failed(_header: dict[str, Any], _claims: dict[str, Any]) -> Response:
    return _unauthorized("The token is not valid.")
