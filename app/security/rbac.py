"""Roles and what they may do."""

from __future__ import annotations

CUSTOMER = "customer"
ADMIN = "admin"
ANY_USER = (CUSTOMER, ADMIN)


def has_role(role: str, allowed: tuple[str, ...]) -> bool:
    return role in allowed
