"""Product lookups, row locks and stock statements for carts and checkout."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple, cast

from sqlalchemy import Table, case, select, update
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

    def lock_and_take(self, quantities: Mapping[int, int]) -> list[StockRow]:
        """Lock these products in id order, and take each quantity from its stock if every product is
        active and has enough: the locked rows, in id order, with their stock before the sale.

        When a row is missing, archived or short, nothing usable was taken: the caller raises and its
        rollback returns whatever this statement did decrement. On PostgreSQL this is ONE statement (the
        lock in a CTE ordered by id, the conditional UPDATE on the locked rows); elsewhere it is the lock,
        then one UPDATE. CHECK (stock >= 0) backs both.
        """
        if not quantities:
            return []
        if not self._one_statement():
            locked = self.lock_products(list(quantities))
            by_id = {row.id: row for row in locked}
            if all(
                pid in by_id and by_id[pid].is_active and by_id[pid].stock >= qty for pid, qty in quantities.items()
            ):
                self.take_stock(quantities)
            return locked
        products = cast(Table, Product.__table__)
        ids = sorted(quantities)
        locked_rows = (
            select(
                products.c.id, products.c.sku, products.c.name, products.c.price, products.c.stock, products.c.is_active
            )
            .where(products.c.id.in_(ids))
            .order_by(products.c.id)
            .with_for_update()
            .cte("locked")
        )
        quantity = case(dict(quantities), value=products.c.id)
        taken = (
            update(products)
            .where(products.c.id == locked_rows.c.id, products.c.is_active.is_(True), products.c.stock >= quantity)
            .values(stock=products.c.stock - quantity)
            .returning(products.c.id)
            .cte("taken")
        )
        rows = self.session.execute(
            select(*locked_rows.c)
            .select_from(locked_rows.outerjoin(taken, taken.c.id == locked_rows.c.id))
            .order_by(locked_rows.c.id)
        ).all()
        return [StockRow(*row) for row in rows]

    def _one_statement(self) -> bool:
        """Whether lock_and_take can lock and decrement in one statement (data-modifying CTEs)."""
        return self.session.get_bind().dialect.name == "postgresql"

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
