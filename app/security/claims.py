"""What a verified token says, checked for shape: the principal a request acts for comes from here.

PyJWT has checked the signature, and `exp`/`iat`/`nbf` where present; it does not require `exp`, nor
look at `sub` beyond "a string", nor know our own claims. Anything off here is a 401 invalid_token
(raised as PyJWT's InvalidTokenError, which Flask-JWT-Extended routes to its invalid-token callback),
never a 500 from an int() of a strange `sub` later on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from jwt.exceptions import InvalidTokenError

from app.models.user import Role
from app.security.tokens import Lifetimes

# A user id as we mint it: ASCII digits only (str.isdigit() also takes "²" and "١٢"), within PostgreSQL's integer.
_USER_ID = re.compile(r"[1-9][0-9]{0,9}")
_SESSION_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
_MAX_USER_ID = 2**31 - 1
# Float rounding between the minted `iat` and `exp` (exp is whole seconds).
_LIFETIME_SLACK_SECONDS = 1.0


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    session_id: str
    is_refresh: bool
    issued_at: float
    expires_at: float
    role: Role | None  # access tokens only
    jti: str | None


@dataclass(frozen=True)
class Principal:
    """The caller as the access token describes it: no database row behind it.

    Safe to authorise with because the blocklist voids every token issued before a role change.
    Views that need the user's row load it through their service.
    """

    id: int
    role: Role | None  # None for a refresh token: only /refresh takes one, and it reads the user's row
    session_id: str


def _time(data: dict[str, Any], name: str) -> float:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidTokenError(f"The {name} claim is missing or not a number.")
    return float(value)


def parse_claims(data: dict[str, Any], lifetimes: Lifetimes) -> TokenClaims:
    """The claims we rely on, or InvalidTokenError."""
    subject, session_id = data.get("sub"), data.get("sid")
    if not isinstance(subject, str) or not _USER_ID.fullmatch(subject) or int(subject) > _MAX_USER_ID:
        raise InvalidTokenError("The sub claim is not a user id.")
    if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
        raise InvalidTokenError("The sid claim is not a login session id.")
    kind = data.get("type")
    if kind not in ("access", "refresh"):
        raise InvalidTokenError("Unknown token type.")
    is_refresh = kind == "refresh"
    issued_at, expires_at = _time(data, "iat"), _time(data, "exp")
    lifetime = (lifetimes.refresh if is_refresh else lifetimes.access).total_seconds()
    # A token may not outlive the configured lifetime: the blocklist keeps entries for that long only.
    if expires_at - issued_at > lifetime + _LIFETIME_SLACK_SECONDS:
        raise InvalidTokenError("The token lives longer than tokens of its kind may.")
    role: Role | None = None
    if not is_refresh:
        raw_role = data.get("role")
        if not isinstance(raw_role, str) or raw_role not in {r.value for r in Role}:
            raise InvalidTokenError("The role claim is missing or unknown.")
        role = Role(raw_role)
    jti = data.get("jti")
    if is_refresh and not isinstance(jti, str):
        raise InvalidTokenError("The jti claim is missing.")
    return TokenClaims(
        user_id=int(subject),
        session_id=session_id,
        is_refresh=is_refresh,
        issued_at=issued_at,
        expires_at=expires_at,
        role=role,
        jti=jti if isinstance(jti, str) else None,
    )
