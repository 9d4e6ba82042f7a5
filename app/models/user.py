"""Users, and the login sessions their tokens belong to."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Timestamps, utcnow, values_check

if TYPE_CHECKING:
    from app.models.delivery_address import DeliveryAddress


class Role(StrEnum):
    """Who a user is to the shop; the one list of roles (the CHECK below is built from it)."""

    CUSTOMER = "customer"
    ADMIN = "admin"


class User(Timestamps, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(values_check("role", Role), name="role"),
        # Emails are stored normalised, so a plain unique index is case-insensitive.
        CheckConstraint("email = lower(email)", name="email_lower"),
        Index("ix_users_role_is_active", "role", "is_active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.CUSTOMER)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Access tokens of this user issued before this moment are void (set by a role change or a
    # deactivation, from the database's clock; see app/security/blocklist.py). Indexed for the
    # blocklist rebuild, which reads the users changed within one access-token lifetime.
    tokens_valid_after: Mapped[datetime | None] = mapped_column(index=True)

    addresses: Mapped[list[DeliveryAddress]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class AuthSession(Base):
    """One login: its access and refresh tokens carry this row's id as `sid`.

    Revocation is decided here, in PostgreSQL, so it survives a Redis flush or outage; the Redis
    blocklist (app/security/blocklist.py) is a copy that lets access tokens be checked without a query.
    """

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    refresh_jti: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # Indexed for the blocklist rebuild, which reads the sessions revoked within one access-token lifetime.
    revoked_at: Mapped[datetime | None] = mapped_column(index=True)

    user: Mapped[User] = relationship()

    def is_live(self, user: User | None, now: datetime) -> bool:
        """True while this login can be used: not revoked, not expired, and its user active."""
        return user is not None and self.revoked_at is None and self.expires_at > now and user.is_active


class DeviceToken(Base):
    """A device that once logged in to this account (OWASP "device cookies").

    The client keeps the token; only its SHA-256 is stored. A login that presents a live token of
    the account it names is judged by the token's own failure limit, not the account's, so strangers
    failing on the account cannot lock its owner out.
    """

    __tablename__ = "device_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    def is_live(self, user_id: int, now: datetime) -> bool:
        """True while this token may vouch for a login of `user_id`."""
        return self.user_id == user_id and self.expires_at > now
