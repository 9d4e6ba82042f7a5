"""Cart items (the seed's cart-product relationship): one per product in a cart."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow

if TYPE_CHECKING:
    from app.models.cart import Cart
    from app.models.product import Product


# The most units of one product a cart item holds.
MAX_ITEM_QUANTITY = 999


class CartProduct(Base):
    """One item of a cart: a product and how many of it."""

    __tablename__ = "cart_products"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    # The composite primary key is the "one item per product" rule.
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True, index=True)
    quantity: Mapped[int]
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    cart: Mapped[Cart] = relationship(back_populates="items")
    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)
