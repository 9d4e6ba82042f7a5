"""Data access for carts and their lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import Cart, CartProduct, Product
from app.models.base import utcnow


def dialect_insert(session: Session, table: Any) -> Any:
    """INSERT with ON CONFLICT support for the session's database (PostgreSQL or SQLite)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class CartLine(NamedTuple):
    """A cart line joined with its product's live state."""

    product_id: int
    quantity: int
    sku: str
    name: str
    unit_price: Decimal
    stock: int
    is_active: bool


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

    def lines(self, user_id: int) -> list[CartLine]:
        """The user's cart lines with live product data, in one query, ordered by product id."""
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
        return [CartLine(*row) for row in rows]

    def add_quantity(self, cart_id: int, product_id: int, quantity: int) -> int:
        """Add `quantity` to the line (creating it), atomically; returns the line's new quantity."""
        stmt = dialect_insert(self.session, CartProduct).values(
            cart_id=cart_id, product_id=product_id, quantity=quantity
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["cart_id", "product_id"],
            set_={"quantity": CartProduct.__table__.c.quantity + stmt.excluded.quantity},
        ).returning(CartProduct.__table__.c.quantity)
        return int(self.session.execute(stmt).scalar_one())

    def set_quantity(self, cart_id: int, product_id: int, quantity: int) -> bool:
        """Set an existing line's quantity; False when there is no such line."""
        result = self.session.execute(
            update(CartProduct)
            .where(CartProduct.cart_id == cart_id, CartProduct.product_id == product_id)
            .values(quantity=quantity)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def delete_line(self, cart_id: int, product_id: int) -> bool:
        result = self.session.execute(
            delete(CartProduct)
            .where(CartProduct.cart_id == cart_id, CartProduct.product_id == product_id)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def clear(self, user_id: int) -> None:
        """Delete every line of the user's cart, in one statement."""
        self.session.execute(
            delete(CartProduct)
            .where(CartProduct.cart_id.in_(select(Cart.id).where(Cart.user_id == user_id).scalar_subquery()))
            .execution_options(synchronize_session=False)
        )
