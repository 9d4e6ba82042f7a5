"""Catalog products."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ColumnElement, Index, String, Text, func, literal_column, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamps

# Spelled as SQLAlchemy reflects it back, so the migration test's autogenerate compare sees no change.
SEARCH_VECTOR_SQL = "to_tsvector('simple'::regconfig, (name::text || ' '::text) || description)"


class Product(Timestamps, Base):
    __tablename__ = "products"
    __table_args__ = (
        # PostgreSQL orders NaN above every number, so `price >= 0` alone would admit it.
        CheckConstraint("price >= 0 AND price <> 'NaN'", name="price_non_negative"),
        CheckConstraint("stock >= 0", name="stock_non_negative"),
        Index("ix_products_is_active_name", "is_active", "name", "id"),
        Index("ix_products_is_active_price", "is_active", "price", "id"),
        Index("ix_products_is_active_created_at", "is_active", "created_at", "id"),
        Index("ix_products_category_is_active", "category", "is_active"),
        # Full-text search (PostgreSQL only; SQLite searches with LIKE). Same expression as search_vector().
        Index("ix_products_search", text(SEARCH_VECTOR_SQL), postgresql_using="gin").ddl_if(dialect="postgresql"),
        # Planner statistics products_name_words (a schema object SQLAlchemy does not model) are made by migration
        # 20261202_1430_product_name_statistics: search ranking relies on them to plan well.
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[Decimal]
    stock: Mapped[int] = mapped_column(default=0)
    category: Mapped[str | None] = mapped_column(String(80))
    image_url: Mapped[str | None] = mapped_column(String(2048))
    is_active: Mapped[bool] = mapped_column(default=True)

    @property
    def in_stock(self) -> bool:
        return self.stock > 0


def search_vector() -> ColumnElement[Any]:
    """What catalog search matches on PostgreSQL: the words of name and description.

    The 'simple' configuration lower-cases without stemming or stop words, so results match the
    word-prefix LIKE used on SQLite. Queries must spell this exact expression to use the index.
    """
    columns = Product.__table__.c
    document = columns.name + literal_column("' '") + columns.description
    return func.to_tsvector(literal_column("'simple'::regconfig"), document)
