"""Invoices, immutable once issued, and the gap-free yearly counter that numbers them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base

if TYPE_CHECKING:
    from app.models.sale import Sale


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (CheckConstraint("subtotal >= 0 AND tax >= 0 AND total >= 0", name="totals_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sales.id", ondelete="RESTRICT"), unique=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    issued_at: Mapped[datetime]
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal]
    tax: Mapped[Decimal]
    total: Mapped[Decimal]
    seller: Mapped[dict[str, Any]] = mapped_column(JSON)
    buyer: Mapped[dict[str, Any]] = mapped_column(JSON)
    delivery_address: Mapped[dict[str, Any]] = mapped_column(JSON)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # The one change an issued invoice admits: a mark that its sale was cancelled.
    cancelled_at: Mapped[datetime | None]

    sale: Mapped[Sale] = relationship(back_populates="invoice")


class InvoiceCounter(Base):
    """Last invoice number used per year; updated in the checkout transaction, so no gaps."""

    __tablename__ = "invoice_counters"
    __table_args__ = (CheckConstraint("last_number >= 0", name="last_number_non_negative"),)

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int]
