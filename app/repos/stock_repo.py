"""Product lookups, row locks and stock statements for carts and checkout."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from app.models import Product


class StockRow(NamedTuple):
    """What checkout needs of a locked product."""

    id: int
    sku: str
    name: str
    price: Decimal
    stock: int
    is_active: bool


class StockRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def sellable(self, product_id: int) -> StockRow | None:
        """The product's stock row while it is still sold (active); None otherwise."""
        row = self.session.execute(
            select(Product.id, Product.sku, Product.name, Product.price, Product.stock, Product.is_active).where(
                Product.id == product_id, Product.is_active.is_(True)
            )
        ).one_or_none()
        return None if row is None else StockRow(*row)

    def lock_products(self, product_ids: Sequence[int]) -> list[StockRow]:
        """Lock these products' rows in ONE statement, in id order.

        Every checkout takes its locks in the same (id) order, so two carts holding the same
        products in opposite orders wait for each other instead of deadlocking. SQLite ignores
        FOR UPDATE; it serialises writers on its own.
        """
        rows = self.session.execute(
            select(Product.id, Product.sku, Product.name, Product.price, Product.stock, Product.is_active)
            .where(Product.id.in_(sorted(set(product_ids))))
            .order_by(Product.id)
            .with_for_update()
        ).all()
        return [StockRow(*row) for row in rows]

    def take_stock(self, quantities: Mapping[int, int]) -> None:
        """Decrement each product's stock by its quantity, in one statement (CHECK stock >= 0 backs it)."""
        self._shift_stock(quantities, sign=-1)

    def restock(self, quantities: Mapping[int, int]) -> None:
        """Return each product's quantity to its stock, in one statement."""
        self._shift_stock(quantities, sign=1)

    def _shift_stock(self, quantities: Mapping[int, int], *, sign: int) -> None:
        if not quantities:
            return
        delta = case({pid: sign * qty for pid, qty in quantities.items()}, value=Product.id)
        self.session.execute(
            update(Product)
            .where(Product.id.in_(list(quantities)))
            .values(stock=Product.stock + delta)
            .execution_options(synchronize_session=False)
        )
