"""Sales (orders) and the idempotency keys that guard their creation."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Timestamps, utcnow, values_check

if TYPE_CHECKING:
    from app.models.invoice import Invoice
    from app.models.sale_product import SaleProduct
    from app.models.user import User

# The Idempotency-Key header's longest value (the key column's width).
IDEMPOTENCY_KEY_MAX = 255


class SaleStatus(StrEnum):
    """Where a sale is in its life; the one list of statuses (the CHECK below is built from it)."""

    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class Sale(Timestamps, Base):
    __tablename__ = "sales"
    __table_args__ = (
        CheckConstraint(values_check("status", SaleStatus), name="status"),
        CheckConstraint("subtotal >= 0 AND tax >= 0 AND total >= 0", name="totals_non_negative"),
        Index("ix_sales_user_id_created_at", "user_id", "created_at"),
        Index("ix_sales_status_created_at", "status", "created_at"),
        Index("ix_sales_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Users are deactivated, never deleted, so their sales always have an owner.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16), default=SaleStatus.PENDING)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal]
    tax: Mapped[Decimal]
    total: Mapped[Decimal]
    # The address may be edited or deleted later; the snapshot is what was shipped to.
    delivery_address_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery_addresses.id", ondelete="SET NULL"), index=True
    )
    delivery_address: Mapped[dict[str, Any]] = mapped_column(JSON)
    notes: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    lines: Mapped[list[SaleProduct]] = relationship(
        back_populates="sale", order_by="SaleProduct.product_id", lazy="selectin"
    )
    invoice: Mapped[Invoice | None] = relationship(back_populates="sale", lazy="selectin")


class IdempotencyKey(Base):
    """A client's Idempotency-Key for a checkout, claimed inside the checkout transaction."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(IDEMPOTENCY_KEY_MAX))
    request_hash: Mapped[str] = mapped_column(String(64))
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
