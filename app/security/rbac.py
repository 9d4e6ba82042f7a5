"""Roles and who is asking: the caller a view hands to a service."""

from __future__ import annotations

from dataclasses import dataclass

from app.models.user import Role

ANY_ROLE = tuple(Role)


@dataclass(frozen=True)
class Caller:
    """The authenticated user a request acts for, as services see it."""

    id: int
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def has_role(role: str, allowed: tuple[Role, ...]) -> bool:
    return role in allowed
