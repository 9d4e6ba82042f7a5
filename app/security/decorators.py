"""Authorization decorators for views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask_jwt_extended import current_user, verify_jwt_in_request

from app.security.rbac import has_role
from app.utils.exceptions import Forbidden

F = TypeVar("F", bound=Callable[..., Any])


def roles_required(*roles: str) -> Callable[[F], F]:
    """A valid access token whose user (loaded from the database) has one of `roles`.

    No token or a bad one: 401. A live user without the role: 403.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            verify_jwt_in_request()
            if not has_role(current_user.role, roles):
                raise Forbidden("Your role does not allow this action.")
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
