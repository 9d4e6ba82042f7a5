"""Verifying the access token of a request: Flask-JWT-Extended's checks, each token's signature once.

PyJWT parses a token four times per verification (Flask-JWT-Extended reads the claims and the header
unverified, then verifies), which made token handling the largest cost of a cached authenticated
read (measured with cProfile: about a third of a cart-total hit). A token that verified once verifies
again to the same claims, so each process remembers the claims of the last VERIFIED_TOKENS tokens it
verified, keyed by the exact token string; only the expiry is checked again. The revocation check
is never remembered: it runs on every request.

Errors are Flask-JWT-Extended's own exceptions, so its handlers (jwt_handlers.py) answer them: 401
missing_token, invalid_token, token_expired or token_revoked.
"""

from __future__ import annotations

import re
import time
from typing import Any

from flask import current_app, g, request
from flask_jwt_extended import decode_token
from flask_jwt_extended.exceptions import InvalidHeaderError, NoAuthorizationError, RevokedTokenError, WrongTokenError

from app.security import tokens
from app.security.claims import Principal, TokenClaims, parse_claims
from app.security.jwt_handlers import token_revoked

VERIFIED_TOKENS = 2048
_FIELDS = re.compile(r",\s*")


def bearer_token() -> str:
    """The token of `Authorization: Bearer <JWT>` (read as Flask-JWT-Extended reads it)."""
    header = request.headers.get("Authorization", "").strip().strip(",")
    if not header:
        raise NoAuthorizationError("Missing Authorization Header")
    values = [value for value in _FIELDS.split(header) if value and value.split()[0] == "Bearer"]
    if len(values) != 1:
        raise NoAuthorizationError("Missing 'Bearer' type in 'Authorization' header.")
    parts = values[0].split()
    if len(parts) != 2:
        raise InvalidHeaderError("Bad Authorization header. Expected 'Authorization: Bearer <JWT>'")
    return parts[1]


class _Verified:
    """Claims of tokens whose signature verified, oldest dropped first (one per app)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: dict[str, tuple[TokenClaims, dict[str, Any]]] = {}

    def get(self, token: str) -> tuple[TokenClaims, dict[str, Any]] | None:
        entry = self.entries.get(token)
        if entry is not None and entry[0].expires_at <= time.time():
            self.entries.pop(token, None)
            return None  # expired: verified again, which raises the expiry error
        return entry

    def put(self, token: str, entry: tuple[TokenClaims, dict[str, Any]]) -> None:
        if len(self.entries) >= self.size:
            self.entries.pop(next(iter(self.entries)), None)
        self.entries[token] = entry


def _verified() -> _Verified:
    verified: _Verified | None = current_app.extensions.get("verified_tokens")
    if verified is None:
        verified = _Verified(VERIFIED_TOKENS)
        current_app.extensions["verified_tokens"] = verified
    return verified


def verify_access_token() -> Principal:
    """The caller of this request's unrevoked access token; raises Flask-JWT-Extended's errors otherwise."""
    token = bearer_token()
    verified = _verified()
    entry = verified.get(token)
    if entry is None:
        data = decode_token(token)  # signature, exp, nbf, iat: PyJWT and Flask-JWT-Extended
        if data.get("type") != "access":
            raise WrongTokenError("Only non-refresh tokens are allowed")
        entry = (parse_claims(data, tokens.lifetimes()), data)
        verified.put(token, entry)
    claims, data = entry
    if token_revoked(claims):
        raise RevokedTokenError({}, data)
    assert claims.role is not None  # an access token's claims carry one
    principal = Principal(id=claims.user_id, role=claims.role, session_id=claims.session_id)
    g.principal = principal
    return principal
