"""The shopping cart: one per user, live prices, stock checked on every change."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from app.cache import keys
from app.config import ShopSettings
from app.extensions import db
from app.models.cart_product import MAX_ITEM_QUANTITY
from app.repos.cart_repo import CartItemRow, CartRepo
from app.repos.stock_repo import StockRepo, StockRow
from app.security.rbac import Caller
from app.services.unit_of_work import UnitOfWork
from app.utils.exceptions import InsufficientStock, InvalidInput, NotInCart, ProductNotFound


@dataclass(frozen=True)
class CartItem:
    product_id: int
    name: str
    unit_price: Decimal
    quantity: int
    line_total: Decimal
    available: bool


@dataclass(frozen=True)
class CartView:
    items: list[CartItem]
    item_count: int
    total: Decimal
    currency: str


@dataclass(frozen=True)
class CartTotal:
    item_count: int
    total: Decimal
    currency: str


def _item(row: CartItemRow) -> CartItem:
    return CartItem(
        product_id=row.product_id,
        name=row.name,
        unit_price=row.unit_price,
        quantity=row.quantity,
        line_total=row.unit_price * row.quantity,
        available=row.is_active and row.stock >= row.quantity,
    )


class CartService:
    def __init__(self, shop: ShopSettings, session: Session | None = None) -> None:
        self.shop = shop
        self.session = session or db.session()
        self.uow = UnitOfWork(self.session)
        self.carts = CartRepo(self.session)
        self.stock = StockRepo(self.session)

    def view(self, *, caller: Caller) -> CartView:
        """The caller's cart at live prices (an empty cart when there is none yet)."""
        items = [_item(row) for row in self.carts.items(caller.id)]
        return CartView(
            items=items,
            item_count=sum(i.quantity for i in items),
            total=sum((i.line_total for i in items), Decimal("0.00")),
            currency=self.shop.currency,
        )

    def total(self, *, caller: Caller) -> CartTotal:
        """Item count and total of the caller's cart at live prices."""
        cart = self.view(caller=caller)
        return CartTotal(item_count=cart.item_count, total=cart.total, currency=cart.currency)

    def add_item(self, *, caller: Caller, product_id: int, quantity: int) -> CartView:
        """Add `quantity` of a product (or increase its item). Raises ProductNotFound, InsufficientStock."""
        with self.uow:
            product = self._sellable(product_id, quantity)
            # One atomic upsert: two concurrent adds both count, then the result is checked.
            item_quantity = self.carts.add(caller.id, product_id, quantity)
            if item_quantity > MAX_ITEM_QUANTITY:
                raise InvalidInput(
                    {"quantity": [f"A cart item holds at most {MAX_ITEM_QUANTITY} units."]},
                    detail=f"The item would hold {item_quantity} units.",
                )
            if item_quantity > product.stock:
                raise InsufficientStock([(product_id, item_quantity, product.stock)])
            return self._commit_and_view(caller)

    def set_quantity(self, *, caller: Caller, product_id: int, quantity: int) -> CartView:
        """Set an item's quantity; 0 removes it. Raises NotInCart, ProductNotFound, InsufficientStock."""
        with self.uow:
            cart_id = self.carts.find_cart_id(caller.id)
            if cart_id is None:
                raise NotInCart(f"Product {product_id} is not in your cart.")
            if quantity == 0:
                found = self.carts.delete_item(cart_id, product_id)
            else:
                self._sellable(product_id, quantity)
                found = self.carts.set_quantity(cart_id, product_id, quantity)
            if not found:
                raise NotInCart(f"Product {product_id} is not in your cart.")
            return self._commit_and_view(caller)

    def remove_item(self, *, caller: Caller, product_id: int) -> None:
        """Remove a product from the cart. Raises NotInCart."""
        with self.uow:
            cart_id = self.carts.find_cart_id(caller.id)
            if cart_id is None or not self.carts.delete_item(cart_id, product_id):
                raise NotInCart(f"Product {product_id} is not in your cart.")
            self._commit(caller)

    def empty(self, *, caller: Caller) -> None:
        """Remove every item of the caller's cart (an empty cart stays empty)."""
        with self.uow:
            self.carts.clear(caller.id)
            self._commit(caller)

    def _sellable(self, product_id: int, quantity: int) -> StockRow:
        product = self.stock.sellable(product_id)
        if product is None:
            raise ProductNotFound(f"Product {product_id} does not exist or is no longer sold.")
        if quantity > product.stock:
            raise InsufficientStock([(product_id, quantity, product.stock)])
        return product

    def _commit(self, caller: Caller) -> None:
        self.uow.after_commit(lambda: keys.bump(keys.cart_family(caller.id)))
        self.uow.commit()

    def _commit_and_view(self, caller: Caller) -> CartView:
        """Commit the change; the cart as committed, read before the commit in the same transaction
        (one connection and one transaction per change)."""
        cart = self.view(caller=caller)
        self._commit(caller)
        return cart
