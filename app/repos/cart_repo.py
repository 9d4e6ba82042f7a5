"""Data access for carts and their lines."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.models import Cart, CartProduct, Product
from app.models.base import utcnow
from app.repos.sql import dialect_insert


class CartItemRow(NamedTuple):
    """A cart item (a CartProduct row) joined with its product's live state."""

    product_id: int
    quantity: int
    sku: str
    name: str
    unit_price: Decimal
    stock: int
    is_active: bool


class CartLine(NamedTuple):
    """What a cart holds of one product."""

    product_id: int
    quantity: int


class CartRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def ensure_cart(self, user_id: int) -> int:
        """The user's cart id, creating the cart if missing (the unique user_id decides races)."""
        insert = dialect_insert(self.session, Cart).values(user_id=user_id, created_at=utcnow(), updated_at=utcnow())
        self.session.execute(insert.on_conflict_do_nothing(index_elements=["user_id"]))
        return int(self.session.scalars(select(Cart.id).where(Cart.user_id == user_id)).one())

    def find_cart_id(self, user_id: int) -> int | None:
        return self.session.scalars(select(Cart.id).where(Cart.user_id == user_id)).one_or_none()

    def items(self, user_id: int) -> list[CartItemRow]:
        """The user's cart items with live product data, in one query, ordered by product id."""
        rows = self.session.execute(
            select(
                CartProduct.product_id,
                CartProduct.quantity,
                Product.sku,
                Product.name,
                Product.price,
                Product.stock,
                Product.is_active,
            )
            .join(Cart, Cart.id == CartProduct.cart_id)
            .join(Product, Product.id == CartProduct.product_id)
            .where(Cart.user_id == user_id)
            .order_by(CartProduct.product_id)
        ).all()
        return [CartItemRow(*row) for row in rows]

    def add_quantity(self, cart_id: int, product_id: int, quantity: int) -> int:
        """Add `quantity` to the item (creating it), atomically; returns the item's new quantity."""
        stmt = dialect_insert(self.session, CartProduct).values(
            cart_id=cart_id, product_id=product_id, quantity=quantity
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["cart_id", "product_id"],
            set_={"quantity": CartProduct.__table__.c.quantity + stmt.excluded.quantity},
        ).returning(CartProduct.__table__.c.quantity)
        return int(self.session.execute(stmt).scalar_one())

    def set_quantity(self, cart_id: int, product_id: int, quantity: int) -> bool:
        """Set an existing item's quantity; False when there is no such item."""
        result = self.session.execute(
            update(CartProduct)
            .where(CartProduct.cart_id == cart_id, CartProduct.product_id == product_id)
            .values(quantity=quantity)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def delete_item(self, cart_id: int, product_id: int) -> bool:
        result = self.session.execute(
            delete(CartProduct)
            .where(CartProduct.cart_id == cart_id, CartProduct.product_id == product_id)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def take_items(self, user_id: int) -> list[CartLine]:
        """Empty the user's cart and return what it held, ordered by product id: one statement.

        The DELETE locks the cart's rows, so a second checkout of the same cart waits for this one and
        then finds it empty; a rollback gives the items back.
        """
        rows = self.session.execute(
            delete(CartProduct)
            .where(CartProduct.cart_id.in_(select(Cart.id).where(Cart.user_id == user_id).scalar_subquery()))
            .returning(CartProduct.product_id, CartProduct.quantity)
            .execution_options(synchronize_session=False)
        ).all()
        return sorted(CartLine(int(pid), int(qty)) for pid, qty in rows)

    def clear(self, user_id: int) -> None:
        """Delete every item of the user's cart, in one statement."""
        self.session.execute(
            delete(CartProduct)
            .where(CartProduct.cart_id.in_(select(Cart.id).where(Cart.user_id == user_id).scalar_subquery()))
            .execution_options(synchronize_session=False)
        )
