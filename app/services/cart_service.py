"""The shopping cart: one per user, live prices, stock checked on every change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from app.cache import keys
from app.extensions import db
from app.models import User
from app.repos.cart_repo import CartLine, CartRepo
from app.repos.stock_repo import StockRepo
from app.utils.exceptions import Conflict, InvalidInput, NotFound

MAX_LINE_QUANTITY = 999


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    title = "Insufficient stock"

    def __init__(self, shortages: Iterable[tuple[int, int, int]]) -> None:
        """`shortages`: (product_id, requested, available) for each product short."""
        products = [{"product_id": p, "requested": r, "available": a} for p, r, a in shortages]
        names = ", ".join(str(p["product_id"]) for p in products)
        detail = f"Not enough stock for product(s) {names}." if products else "Not enough stock."
        super().__init__(detail, products=products)


class ProductNotFound(NotFound):
    code = "product_not_found"
    title = "Product not found"


class NotInCart(NotFound):
    code = "not_in_cart"
    title = "Not in the cart"


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


def _item(line: CartLine) -> CartItem:
    return CartItem(
        product_id=line.product_id,
        name=line.name,
        unit_price=line.unit_price,
        quantity=line.quantity,
        line_total=line.unit_price * line.quantity,
        available=line.is_active and line.stock >= line.quantity,
    )


class CartService:
    def __init__(self, session: Session | None = None) -> None:
        self.session = session or db.session()
        self.carts = CartRepo(self.session)
        self.stock = StockRepo(self.session)

    def view(self, *, user: User, currency: str) -> CartView:
        """The user's cart at live prices (an empty cart when there is none yet)."""
        items = [_item(line) for line in self.carts.lines(user.id)]
        return CartView(
            items=items,
            item_count=sum(i.quantity for i in items),
            total=sum((i.line_total for i in items), Decimal("0.00")),
            currency=currency,
        )

    def total(self, *, user: User, currency: str) -> CartTotal:
        """Item count and total of the user's cart at live prices."""
        cart = self.view(user=user, currency=currency)
        return CartTotal(item_count=cart.item_count, total=cart.total, currency=currency)

    def add_item(self, *, user: User, product_id: int, quantity: int, currency: str) -> CartView:
        """Add `quantity` of a product (or increase its line). Raises ProductNotFound, InsufficientStock."""
        product = self.stock.get_active(product_id)
        if product is None:
            raise ProductNotFound(f"Product {product_id} does not exist or is no longer sold.")
        if quantity > product.stock:
            raise InsufficientStock([(product_id, quantity, product.stock)])
        cart_id = self.carts.ensure_cart(user.id)
        # One atomic upsert: two concurrent adds both count, then the result is checked.
        line_quantity = self.carts.add_quantity(cart_id, product_id, quantity)
        if line_quantity > MAX_LINE_QUANTITY:
            self.session.rollback()
            raise InvalidInput(
                {"quantity": [f"A cart line holds at most {MAX_LINE_QUANTITY} units."]},
                detail=f"The line would hold {line_quantity} units.",
            )
        if line_quantity > product.stock:
            self.session.rollback()
            raise InsufficientStock([(product_id, line_quantity, product.stock)])
        self._commit(user)
        return self.view(user=user, currency=currency)

    def set_quantity(self, *, user: User, product_id: int, quantity: int, currency: str) -> CartView:
        """Set a line's quantity; 0 removes it. Raises NotInCart, ProductNotFound, InsufficientStock."""
        cart_id = self.carts.find_cart_id(user.id)
        if cart_id is None:
            raise NotInCart(f"Product {product_id} is not in your cart.")
        if quantity == 0:
            found = self.carts.delete_line(cart_id, product_id)
        else:
            product = self.stock.get_active(product_id)
            if product is None:
                raise ProductNotFound(f"Product {product_id} does not exist or is no longer sold.")
            if quantity > product.stock:
                raise InsufficientStock([(product_id, quantity, product.stock)])
            found = self.carts.set_quantity(cart_id, product_id, quantity)
        if not found:
            self.session.rollback()
            raise NotInCart(f"Product {product_id} is not in your cart.")
        self._commit(user)
        return self.view(user=user, currency=currency)

    def remove_item(self, *, user: User, product_id: int) -> None:
        """Remove a product's line. Raises NotInCart."""
        cart_id = self.carts.find_cart_id(user.id)
        if cart_id is None or not self.carts.delete_line(cart_id, product_id):
            self.session.rollback()
            raise NotInCart(f"Product {product_id} is not in your cart.")
        self._commit(user)

    def empty(self, *, user: User) -> None:
        """Remove every line of the user's cart (an empty cart stays empty)."""
        self.carts.clear(user.id)
        self._commit(user)

    def _commit(self, user: User) -> None:
        self.session.commit()
        keys.bump(keys.cart_family(user.id))
