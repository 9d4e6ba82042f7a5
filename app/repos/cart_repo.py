"""Data access for carts and their lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from app.models import Cart, CartProduct, Product
from app.repos.sql import table_of

# The statements of adding to the cart and checking out are built once (building costs more CPU than
# running them; see stock_repo). PostgreSQL's INSERT ... ON CONFLICT compiles as SQLite's too.
_carts = table_of(Cart)
_items = table_of(CartProduct)
_products = table_of(Product)
_user_cart = select(_carts.c.id).where(_carts.c.user_id == bindparam("user_id")).scalar_subquery()


def _ensure_cart() -> ReturningInsert[Any]:
    insert = postgresql.insert(_carts).values(user_id=bindparam("user_id"))  # created_at, updated_at: now
    return insert.on_conflict_do_update(
        index_elements=["user_id"], set_={"updated_at": insert.excluded.updated_at}
    ).returning(_carts.c.id)


def _add_quantity() -> ReturningInsert[Any]:
    insert = postgresql.insert(_items)
    return insert.on_conflict_do_update(
        index_elements=["cart_id", "product_id"], set_={"quantity": _items.c.quantity + insert.excluded.quantity}
    ).returning(_items.c.quantity)


_ENSURE_CART = _ensure_cart()
_ADD_QUANTITY = _add_quantity()
_ITEMS = (
    select(
        _items.c.product_id,
        _items.c.quantity,
        _products.c.sku,
        _products.c.name,
        _products.c.price,
        _products.c.stock,
        _products.c.is_active,
    )
    .join(_products, _products.c.id == _items.c.product_id)
    .where(_items.c.cart_id == _user_cart)
    .order_by(_items.c.product_id)
)
_CLEAR = delete(_items).where(_items.c.cart_id == _user_cart)
_TAKE_ITEMS = _CLEAR.returning(_items.c.product_id, _items.c.quantity)


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
        """The user's cart id, creating the cart if missing, and its `updated_at` now: one upsert (the
        unique user_id decides races)."""
        return int(self.session.execute(_ENSURE_CART, {"user_id": user_id}).scalar_one())

    def find_cart_id(self, user_id: int) -> int | None:
        return self.session.scalars(select(Cart.id).where(Cart.user_id == user_id)).one_or_none()

    def items(self, user_id: int) -> list[CartItemRow]:
        """The user's cart items with live product data, in one query, ordered by product id."""
        return [CartItemRow(*row) for row in self.session.execute(_ITEMS, {"user_id": user_id})]

    def add_quantity(self, cart_id: int, product_id: int, quantity: int) -> int:
        """Add `quantity` to the item (creating it), atomically; returns the item's new quantity."""
        values = {"cart_id": cart_id, "product_id": product_id, "quantity": quantity}
        return int(self.session.execute(_ADD_QUANTITY, values).scalar_one())

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
        rows = self.session.execute(_TAKE_ITEMS, {"user_id": user_id})
        return sorted(CartLine(int(pid), int(qty)) for pid, qty in rows)

    def clear(self, user_id: int) -> None:
        """Delete every item of the user's cart, in one statement."""
        self.session.execute(_CLEAR, {"user_id": user_id})
