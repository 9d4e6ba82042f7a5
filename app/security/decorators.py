"""Authorization for views: who the caller is, and whether their role allows the action."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g
from flask_jwt_extended import verify_jwt_in_request

from app.models.user import Role
from app.security.access_tokens import verify_access_token
from app.security.claims import Principal
from app.security.rbac import Caller, has_role
from app.utils.exceptions import Forbidden, InvalidToken

F = TypeVar("F", bound=Callable[..., Any])


def require_roles(*roles: Role, detail: str = "Your role does not allow this action.") -> None:
    """A valid, unrevoked access token whose role claim is one of `roles`.

    The claim is trustworthy: a role change voids every token issued before it (the blocklist's
    per-user mark), so a token's role is its user's role. No token, a bad or revoked one: 401 (from
    the JWT callbacks). A valid token without the role: 403.
    """
    role = verify_access_token().role
    if role is None or not has_role(role, roles):
        raise Forbidden(detail)


def roles_required(*roles: Role) -> Callable[[F], F]:
    """`require_roles` before the view runs."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            require_roles(*roles)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator


def refresh_token_required(view: F) -> F:
    """A valid refresh token (of a live session and an active user); access tokens get 401."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        verify_jwt_in_request(refresh=True)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def _principal() -> Principal:
    principal = g.get("principal")
    assert isinstance(principal, Principal), "call after the token was verified"
    return principal


def current_caller() -> Caller:
    """The authenticated caller of this request (call after the access token was verified)."""
    principal = _principal()
    if principal.role is None:  # a refresh token; only /refresh verifies those
        raise InvalidToken("Send an access token.")
    return Caller(id=principal.id, role=principal.role)


def current_login() -> tuple[int, str]:
    """(user id, login session id) of this request's token, access or refresh (after verification)."""
    principal = _principal()
    return principal.id, principal.session_id
