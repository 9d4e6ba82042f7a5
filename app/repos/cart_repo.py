"""Data access for carts and their lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from app.models import Cart, CartProduct, Product
from app.models.base import utcnow
from app.repos.sql import is_postgresql, table_of

# The statements of adding to the cart and checking out are built once (building costs more CPU than
# running them; see stock_repo). PostgreSQL's INSERT ... ON CONFLICT compiles as SQLite's too.
_carts = table_of(Cart)
_items = table_of(CartProduct)
_products = table_of(Product)
_user_cart = select(_carts.c.id).where(_carts.c.user_id == bindparam("user_id")).scalar_subquery()


def _ensure_cart() -> ReturningInsert[Any]:
    """The user's cart id, the cart created if missing and its updated_at set to :now: DO UPDATE, not DO
    NOTHING, so the id comes back even when a concurrent request created the cart first."""
    insert = postgresql.insert(_carts).values(user_id=bindparam("user_id"), created_at=_NOW, updated_at=_NOW)
    return insert.on_conflict_do_update(
        index_elements=["user_id"], set_={"updated_at": insert.excluded.updated_at}
    ).returning(_carts.c.id)


def _add_quantity(cart_id: Any) -> ReturningInsert[Any]:
    """Add :quantity of :product_id to the item of cart `cart_id` (creating it); the item's new quantity."""
    insert = postgresql.insert(_items).from_select(
        ["cart_id", "product_id", "quantity", "added_at"],
        select(cart_id, bindparam("product_id"), bindparam("quantity"), _NOW),
    )
    return insert.on_conflict_do_update(
        index_elements=["cart_id", "product_id"], set_={"quantity": _items.c.quantity + insert.excluded.quantity}
    ).returning(_items.c.quantity)


_NOW = bindparam("now", type_=_carts.c.created_at.type)
_ENSURE_CART = _ensure_cart()
_ADD_QUANTITY = _add_quantity(bindparam("cart_id"))
# PostgreSQL: both in one statement, the cart's upsert in a CTE (SQLite has no INSERT in a WITH).
_cart = _ENSURE_CART.cte("cart")
_ADD = _add_quantity(_cart.c.id).add_cte(_cart)
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

    def add(self, user_id: int, product_id: int, quantity: int) -> int:
        """Add `quantity` of a product to the user's cart (creating the cart and the item), atomically: the
        item's new quantity. One statement on PostgreSQL; elsewhere the cart's upsert, then the item's."""
        values = {"user_id": user_id, "product_id": product_id, "quantity": quantity, "now": utcnow()}
        if is_postgresql(self.session):
            return int(self.session.execute(_ADD, values).scalar_one())
        values["cart_id"] = self.session.execute(_ENSURE_CART, values).scalar_one()
        return int(self.session.execute(_ADD_QUANTITY, values).scalar_one())

    def find_cart_id(self, user_id: int) -> int | None:
        return self.session.scalars(select(Cart.id).where(Cart.user_id == user_id)).one_or_none()

    def items(self, user_id: int) -> list[CartItemRow]:
        """The user's cart items with live product data, in one query, ordered by product id."""
        return [CartItemRow(*row) for row in self.session.execute(_ITEMS, {"user_id": user_id})]

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
