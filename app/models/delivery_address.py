"""Users' delivery addresses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Timestamps

if TYPE_CHECKING:
    from app.models.user import User


class DeliveryAddress(Timestamps, Base):
    __tablename__ = "delivery_addresses"
    __table_args__ = (
        # At most one default address per user.
        Index(
            "uq_delivery_addresses_user_id_default",
            "user_id",
            unique=True,
            postgresql_where=text("is_default"),
            sqlite_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    recipient_name: Mapped[str] = mapped_column(String(120))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(32))
    is_default: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(back_populates="addresses")

    def snapshot(self) -> dict[str, str | None]:
        """The address as it is now, as a sale and its invoice keep it."""
        return {field: getattr(self, field) for field in SNAPSHOT_FIELDS}


# What a sale and its invoice keep of the address they were delivered to.
SNAPSHOT_FIELDS = ("recipient_name", "line1", "line2", "city", "state", "postal_code", "country", "phone")
