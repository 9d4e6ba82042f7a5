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

    addresses: Mapped[list[DeliveryAddress]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class AuthSession(Base):
    """One login: its access and refresh tokens carry this row's id as `sid`.

    Revocation lives here, in PostgreSQL, so it survives a Redis flush or outage.
    """

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    refresh_jti: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def is_live(self, user: User | None, now: datetime) -> bool:
        """True while this login can be used: not revoked, not expired, and its user active."""
        return user is not None and self.revoked_at is None and self.expires_at > now and user.is_active
