"""Flask-JWT-Extended callbacks: is the token revoked, who is calling, and 401 problem documents for every failure."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from flask import Flask, Response, current_app, g

from app.extensions import db, jwt
from app.models.base import utcnow
from app.repos.user_repo import UserRepo
from app.security import tokens
from app.security.blocklist import Blocklist, Verdict, current_blocklist
from app.security.claims import Principal, TokenClaims, parse_claims
from app.utils.exceptions import (
    FreshTokenRequired,
    InvalidToken,
    MissingToken,
    TokenExpired,
    TokenRevoked,
    Unauthorized,
)
from app.utils.problem import problem_for

log = logging.getLogger(__name__)
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


@dataclass(frozen=True)
class _Keys:
    private: PrivateKeyTypes
    public: PublicKeyTypes


def _keys() -> _Keys:
    """The key pair, parsed once per app: PyJWT parses a PEM string on every call (about half of a
    token verification's cost, measured), a key object not at all."""
    keys: _Keys | None = current_app.extensions.get("jwt_keys")
    if keys is None:
        config = current_app.config
        keys = _Keys(
            private=serialization.load_pem_private_key(config["JWT_PRIVATE_KEY"].encode(), password=None),
            public=serialization.load_pem_public_key(config["JWT_PUBLIC_KEY"].encode()),
        )
        current_app.extensions["jwt_keys"] = keys
    return keys


@jwt.encode_key_loader
def signing_key(_identity: Any) -> PrivateKeyTypes:
    return _keys().private


@jwt.decode_key_loader
def verifying_key(_header: dict[str, Any], _claims: dict[str, Any]) -> PublicKeyTypes:
    return _keys().public


def _unauthorized(error: Unauthorized) -> Response:
    return problem_for(error, headers=BEARER)


@jwt.token_in_blocklist_loader
def is_revoked(_header: dict[str, Any], data: dict[str, Any]) -> bool:
    """Flask-JWT-Extended's revocation check (refresh tokens; access tokens go through access_tokens.py).

    Malformed claims raise InvalidTokenError: a 401 invalid_token.
    """
    return token_revoked(parse_claims(data, tokens.lifetimes()))


def token_revoked(claims: TokenClaims) -> bool:
    """Two tiers: the Redis blocklist (one round trip, no SQL) while it can be trusted, else PostgreSQL.

    Refresh tokens always go to PostgreSQL (refresh rotates the session there anyway). When the
    blocklist is lost or stale, this request is answered from PostgreSQL exactly as before the
    blocklist existed, and (one process at a time) the blocklist is rebuilt from it.
    """
    if claims.is_refresh:
        return not _live_in_database(claims)
    blocklist = current_blocklist()
    lookup = blocklist.check(session_id=claims.session_id, user_id=claims.user_id, issued_at=claims.issued_at)
    revoked = lookup.verdict is Verdict.REVOKED
    if lookup.verdict is Verdict.UNKNOWN:
        revoked = not _live_in_database(claims)
    if lookup.claim is not None:
        _rebuild(blocklist, lookup.claim, lost=lookup.lost)
    return revoked


def _live_in_database(claims: TokenClaims) -> bool:
    """PostgreSQL's answer: the session is live, its user active, and (access tokens) not voided since."""
    found = UserRepo(db.session()).get_with_session(claims.user_id, claims.session_id)
    if found is None:
        return False
    user, session = found
    if not session.is_live(user, utcnow()):
        return False
    voided = user.tokens_valid_after
    return claims.is_refresh or voided is None or claims.issued_at >= voided.timestamp()


def _rebuild(blocklist: Blocklist, claim: str, *, lost: bool) -> None:
    try:
        blocklist.rebuild(claim, UserRepo(db.session()), lost=lost)
    except Exception:  # this request's answer stands; the claim lapses and another process retries
        log.exception("blocklist rebuild failed")


@jwt.user_lookup_loader
def load_principal(_header: dict[str, Any], data: dict[str, Any]) -> Principal | None:
    """The caller from the token's claims, without a query (the blocklist made them trustworthy)."""
    claims = parse_claims(data, tokens.lifetimes())
    principal = Principal(id=claims.user_id, role=claims.role, session_id=claims.session_id)
    g.principal = principal
    return principal


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
