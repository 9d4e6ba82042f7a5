"""Authorization for views: who the caller is, and whether their role allows the action."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask_jwt_extended import current_user, verify_jwt_in_request

from app.models.user import Role
from app.security.rbac import Caller, has_role
from app.utils.exceptions import Forbidden

F = TypeVar("F", bound=Callable[..., Any])


def require_roles(*roles: Role, detail: str = "Your role does not allow this action.") -> None:
    """A valid access token whose user (loaded from the database) has one of `roles`.

    No token or a bad one: 401 (from the JWT callbacks). A live user without the role: 403.
    """
    verify_jwt_in_request()
    if not has_role(current_user.role, roles):
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


def current_caller() -> Caller:
    """The authenticated caller of this request (call after the token was verified)."""
    return Caller(id=current_user.id, role=Role(current_user.role))
