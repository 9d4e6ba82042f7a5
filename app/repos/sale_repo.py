"""Data access for sales, their lines, their totals, idempotency keys and the sales analytics."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    Date,
    FromClause,
    Integer,
    Select,
    Table,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.sql.elements import ColumnElement

from app.models import IdempotencyKey, ProductSalesByDay, ProductSalesTotal, Sale, SaleProduct, SalesByDay
from app.models.base import UtcDateTime, utcnow
from app.models.sale import SaleStatus
from app.repos.sql import dialect_insert, is_postgresql, table_of
from app.utils.pagination import Page

_sales, _lines = table_of(Sale), table_of(SaleProduct)
_day_totals, _product_day_totals = table_of(SalesByDay), table_of(ProductSalesByDay)
_product_totals = table_of(ProductSalesTotal)
_INSERT_SALE = insert(_sales).returning(_sales.c.id)
_INSERT_LINES = insert(_lines)
_LINE_FIELDS = ("product_id", "sku", "name", "unit_price", "quantity", "line_total")
# The totals' columns that add up; the others (the primary key, the name) are taken as they come.
_ADDED = frozenset({"sales_count", "quantity", "revenue"})


def _utc_day(moment: ColumnElement[Any], *, on_postgresql: bool) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp (a sale's created_at, or a parameter holding one)."""
    if on_postgresql:
        return cast(func.timezone("UTC", moment), Date)
    return func.date(moment)  # SQLite stores UTC text; date() takes its day


def _accumulate(upsert: Any, table: Table) -> Any:
    """`upsert` (an INSERT into a totals table) made to add its counts and money to an existing row of the
    same key instead: ON CONFLICT (primary key) DO UPDATE SET x = x + excluded.x."""
    keys = [column.key for column in table.primary_key]
    changes = {
        column.key: table.c[column.key] + upsert.excluded[column.key]
        if column.key in _ADDED
        else upsert.excluded[column.key]
        for column in table.c
        if column.key not in keys
    }
    return upsert.on_conflict_do_update(index_elements=keys, set_=changes)


def _insert_sale_with_lines() -> ReturningInsert[Any]:
    """PostgreSQL, built once: the sale (a parameter per column) in a CTE, and its lines from one array
    parameter per line column (:line_<column>), in one statement; the sale's id on each line's row.

    Three more CTEs add the sale to the totals (a new sale is pending, never cancelled): sales_by_day's row
    first, then product_sales_by_day's rows in product id order, then product_sales_totals' rows in product id
    order, which is the order every status change takes them in too (SaleRepo._add_to_totals). Each of the
    last two CTEs reads the previous one's RETURNING and sorts by product id, and a sort takes in all its input
    before it yields a row, so PostgreSQL finishes each upsert before the next one starts.
    """
    params = {column.key: bindparam(column.key, type_=column.type) for column in _sales.c if column.key != "id"}
    sale = insert(_sales).values(params).returning(_sales.c.id).cte("sale")
    arrays = [bindparam(f"line_{name}", type_=ARRAY(_lines.c[name].type)) for name in _LINE_FIELDS]
    line = func.unnest(*arrays).table_valued(*_LINE_FIELDS).render_derived(name="line")
    day = (
        _accumulate(
            postgresql.insert(_day_totals).values(
                sold_on=_utc_day(params["created_at"], on_postgresql=True),
                status=params["status"],
                sales_count=1,
                revenue=params["total"],
            ),
            _day_totals,
        )
        .returning(_day_totals.c.sold_on, _day_totals.c.status)
        .cte("day_totals")
    )
    per_product = (
        select(day.c.sold_on, day.c.status, line.c.product_id, line.c.name, line.c.quantity, line.c.line_total)
        .select_from(day.join(line, true()))
        .order_by(line.c.product_id)
    )
    product_days = (
        _accumulate(
            postgresql.insert(_product_day_totals).from_select(
                ["sold_on", "status", "product_id", "name", "quantity", "revenue"], per_product
            ),
            _product_day_totals,
        )
        .returning(_product_day_totals.c.product_id)
        .cte("product_day_totals")
    )
    # RETURNING gives the rows as they now stand (the day's sums), so the figures come from the lines again.
    per_product_all_days = (
        select(line.c.product_id, line.c.name, line.c.quantity, line.c.line_total)
        .select_from(product_days.join(line, line.c.product_id == product_days.c.product_id))
        .order_by(line.c.product_id)
    )
    products = _accumulate(
        postgresql.insert(_product_totals).from_select(
            ["product_id", "name", "quantity", "revenue"], per_product_all_days
        ),
        _product_totals,
    ).cte("product_totals")
    rows = select(sale.c.id, *(line.c[name] for name in _LINE_FIELDS)).select_from(sale.join(line, true()))
    return (
        insert(_lines)
        .from_select(["sale_id", *_LINE_FIELDS], rows)
        .add_cte(sale, day, product_days, products)
        .returning(_lines.c.sale_id)
    )


_INSERT_SALE_WITH_LINES = _insert_sale_with_lines()


@dataclass(frozen=True)
class SaleFilter:
    """Admin list and analytics filters; `date_to` is inclusive (whole UTC days)."""

    status: str | None = None
    user_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def created_from(self) -> datetime | None:
        """The first moment of `date_from` (UTC): a sale's created_at at or after it is in the range."""
        return datetime.combine(self.date_from, time.min, UTC) if self.date_from else None

    @property
    def created_before(self) -> datetime | None:
        """The first moment after `date_to` (UTC): a sale's created_at before it is in the range."""
        return datetime.combine(self.date_to + timedelta(days=1), time.min, UTC) if self.date_to else None


class SaleRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- sales -------------------------------------------------------------------------------

    def get(self, sale_id: int) -> Sale | None:
        return self.session.get(Sale, sale_id)

    def get_for_update(self, sale_id: int) -> Sale | None:
        """The sale with its row locked until the transaction ends (PostgreSQL; SQLite has one writer): its
        status cannot change under a status change that moves its figures in the totals."""
        return self.session.get(Sale, sale_id, with_for_update=True, populate_existing=True)

    def insert(self, sale: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]) -> int:
        """Insert a sale (every column but `id`) and its lines (theirs, without `sale_id`), no ORM flush, and add
        them to their day's totals: the new sale's id. One statement on PostgreSQL; elsewhere the sale, its
        lines, then the totals."""
        if is_postgresql(self.session):
            arrays = {f"line_{name}": [line[name] for line in lines] for name in _LINE_FIELDS}
            sale_id = self.session.execute(_INSERT_SALE_WITH_LINES, {**sale, **arrays}).scalars().first()
            assert sale_id is not None  # a sale has at least one line
            return int(sale_id)
        sale_id = int(self.session.execute(_INSERT_SALE, sale).scalar_one())
        self.session.execute(_INSERT_LINES, [{**line, "sale_id": sale_id} for line in lines])
        self._add_to_totals(sale["created_at"], sale["total"], lines, [(sale["status"], 1)])
        return sale_id

    def list_for_user(self, user_id: int, page: int, per_page: int) -> Page[Sale]:
        return self._page(select(Sale).where(Sale.user_id == user_id), page, per_page)

    def list_page(self, where: SaleFilter, page: int, per_page: int) -> Page[Sale]:
        return self._page(select(Sale).where(*self._conditions(where)), page, per_page)

    def _page(self, query: Select[Sale], page: int, per_page: int) -> Page[Sale]:
        total = self.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        items = self.session.scalars(
            query.order_by(Sale.created_at.desc(), Sale.id.desc()).limit(per_page).offset((page - 1) * per_page)
        ).all()
        return Page(items=list(items), page=page, per_page=per_page, total=total)

    def set_status(self, sale: Sale, status: str) -> bool:
        """Move `sale` from the status it was loaded with to `status`, and its figures in the day totals from
        (its day, that status) to (its day, `status`); False, and nothing changed, if it is no longer in that
        status.

        The condition is in the UPDATE itself, so of two racing requests exactly one wins, and the status the
        figures leave is the one the sale really left (load the sale with get_for_update, and the UPDATE
        always matches). Four statements: the UPDATE and one upsert per totals table.
        """
        values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
        if status == SaleStatus.CANCELLED:
            values["cancelled_at"] = utcnow()
        row = self.session.execute(
            update(Sale)
            .where(Sale.id == sale.id, Sale.status == sale.status)
            .values(**values)
            .returning(Sale.id)
            .execution_options(synchronize_session=False)
        ).first()
        if row is None:
            return False
        lines = [{name: getattr(line, name) for name in _LINE_FIELDS} for line in sale.lines]
        self._add_to_totals(sale.created_at, sale.total, lines, [(sale.status, -1), (status, 1)])
        return True

    # --- totals ------------------------------------------------------------------------------

    def _add_to_totals(
        self,
        created_at: datetime,
        total: Decimal,
        lines: Sequence[Mapping[str, Any]],
        moves: Iterable[tuple[str, int]],
    ) -> None:
        """Add a sale (`sign` = 1) to, or take it (-1) from, the totals of (its UTC day, `status`) for each
        (status, sign) of `moves`, and to or from its products' all-time totals as far as the moves change
        whether it is cancelled: one upsert per table, sales_by_day first, then product_sales_by_day, then
        product_sales_totals (none when nothing there changes).

        Rows are written in that table order and in key order within each table (status, then product id), as
        checkout writes them, so two writes that share rows wait for each other instead of deadlocking.
        """
        day = _utc_day(literal(created_at, UtcDateTime()), on_postgresql=is_postgresql(self.session))
        ordered = sorted(moves)
        by_product = sorted(lines, key=lambda line: int(line["product_id"]))
        days = [{"sold_on": day, "status": s, "sales_count": sign, "revenue": sign * total} for s, sign in ordered]
        products = [
            {
                "sold_on": day,
                "status": s,
                "product_id": line["product_id"],
                "name": line["name"],
                "quantity": sign * line["quantity"],
                "revenue": sign * line["line_total"],
            }
            for s, sign in ordered
            for line in by_product
        ]
        sold = sum(sign for s, sign in ordered if s != SaleStatus.CANCELLED)  # 1 added, -1 cancelled, 0 moved
        all_days = [
            {
                "product_id": line["product_id"],
                "name": line["name"],
                "quantity": sold * line["quantity"],
                "revenue": sold * line["line_total"],
            }
            for line in by_product
            if sold
        ]
        for table, rows in ((_day_totals, days), (_product_day_totals, products), (_product_totals, all_days)):
            if rows:
                self.session.execute(_accumulate(dialect_insert(self.session, table).values(rows), table))

    def rebuild_totals(self) -> None:
        """Recompute the three totals tables from every sale and line, for sales written around this repo (the
        benchmark's bulk seeding), while nothing else writes sales: a checkout committing meanwhile could be
        counted twice or not at all. The same grouping as the migration that created the tables."""
        day = self._day()
        for model in (SalesByDay, ProductSalesByDay, ProductSalesTotal):
            self.session.execute(delete(model))
        self.session.execute(
            insert(SalesByDay).from_select(
                ["sold_on", "status", "sales_count", "revenue"],
                select(day, Sale.status, func.count(), func.sum(Sale.total)).group_by(day, Sale.status),
            )
        )
        figures = (func.max(SaleProduct.name), func.sum(SaleProduct.quantity), func.sum(SaleProduct.line_total))
        by_day = (day, Sale.status, SaleProduct.product_id)
        self.session.execute(
            insert(ProductSalesByDay).from_select(
                ["sold_on", "status", "product_id", "name", "quantity", "revenue"],
                select(*by_day, *figures).join(Sale, Sale.id == SaleProduct.sale_id).group_by(*by_day),
            )
        )
        self.session.execute(
            insert(ProductSalesTotal).from_select(
                ["product_id", "name", "quantity", "revenue"],
                select(SaleProduct.product_id, *figures)
                .join(Sale, Sale.id == SaleProduct.sale_id)
                .where(Sale.status != SaleStatus.CANCELLED)
                .group_by(SaleProduct.product_id),
            )
        )

    # --- idempotency keys --------------------------------------------------------------------

    def claim_key(self, user_id: int, key: str, request_hash: str, *, expired_before: datetime) -> bool:
        """Insert the key, or take over one created before `expired_before` as if it were new.

        PostgreSQL makes a concurrent claimer wait on the unique index (or the expired row) until the
        holder commits or rolls back, so False means a live, settled key.
        """
        keys = IdempotencyKey.__table__.c
        insert = dialect_insert(self.session, IdempotencyKey).values(
            user_id=user_id, key=key, request_hash=request_hash, created_at=utcnow()
        )
        stmt = insert.on_conflict_do_update(
            index_elements=["user_id", "key"],
            set_={
                "request_hash": insert.excluded.request_hash,
                "sale_id": None,
                "created_at": insert.excluded.created_at,
            },
            where=keys.created_at < expired_before,
        ).returning(keys.id)
        return self.session.execute(stmt).first() is not None

    def delete_expired_keys(self, created_before: datetime, limit: int) -> int:
        """Delete up to `limit` keys created before `created_before`, oldest first; how many went.

        SKIP LOCKED: a key a checkout is taking over right now is neither waited for nor deleted.
        """
        batch = (
            select(IdempotencyKey.id)
            .where(IdempotencyKey.created_at < created_before)
            .order_by(IdempotencyKey.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            delete(IdempotencyKey)
            .where(IdempotencyKey.id.in_(batch.scalar_subquery()))
            .returning(IdempotencyKey.id)
            .execution_options(synchronize_session=False)
        )
        return len(self.session.execute(statement).all())

    def find_key(self, user_id: int, key: str) -> IdempotencyKey | None:
        return self.session.scalars(
            select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
        ).one_or_none()

    def attach_sale_to_key(self, user_id: int, key: str, sale_id: int) -> None:
        self.session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
            .values(sale_id=sale_id)
            .execution_options(synchronize_session=False)
        )

    # --- analytics ---------------------------------------------------------------------------

    def _conditions(self, where: SaleFilter) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if where.status is not None:
            conditions.append(Sale.status == where.status)
        if where.user_id is not None:
            conditions.append(Sale.user_id == where.user_id)
        if where.created_from is not None:
            conditions.append(Sale.created_at >= where.created_from)
        if where.created_before is not None:
            conditions.append(Sale.created_at < where.created_before)
        return conditions

    def _day(self) -> ColumnElement[Any]:
        """The UTC calendar day of a sale, on PostgreSQL and SQLite alike."""
        return _utc_day(_sales.c.created_at, on_postgresql=is_postgresql(self.session))

    def by_day(self, where: SaleFilter) -> list[tuple[str, Decimal, dict[str, int]]]:
        """(UTC day, revenue of its sales not cancelled, its sales by status) for every day with sales, in no
        order, from which the totals, the revenue by day and the count by status all follow: from sales_by_day
        (a range of its primary key, whatever the number of sales), or with a filter by user, which the totals
        do not keep, in one pass over that user's sales.

        One group a day (not a day and status), unordered, so PostgreSQL aggregates in a hash table instead of
        sorting every sale first (3,000 sales over 62 days: 62 rows instead of 310, half the client CPU)."""
        if where.user_id is not None:
            one = literal_column("1", Integer)
            statement = _daily(self._day(), _sales.c.status, one, _sales.c.total, self._conditions(where))
            rows = self.session.execute(statement)
        else:
            rows = self.session.execute(_daily_totals(_TotalsShape.of(where)), _totals_values(where))
        return [
            (_iso_day(d), Decimal(r), {value: int(n) for value, n in zip(_STATUSES, counts, strict=True) if n})
            for d, r, *counts in rows
        ]

    def lines_summary(self, where: SaleFilter, limit: int) -> tuple[int, list[tuple[int, str, int, Decimal]]]:
        """(items sold, the top `limit` products) over the non-cancelled sales' lines, in one statement over
        the smallest source that answers the filter: product_sales_totals (a row per product) with no filter,
        product_sales_by_day (a row per day, status and product) with a date range or a status, and the sales'
        lines with a filter by user, which the totals do not keep. Rows of the totals a status change emptied
        are skipped."""
        if where.user_id is not None:
            lines = _lines.join(_sales, _sales.c.id == _lines.c.sale_id)
            conditions = [Sale.status != SaleStatus.CANCELLED, *self._conditions(where)]
            columns = (_lines.c.product_id, _lines.c.name, _lines.c.quantity, _lines.c.line_total)
            statement = _top_products(lines, columns, conditions)
        elif where == SaleFilter():
            statement = _TOP_OF_ALL_TIME
        else:
            statement = _top_by_day_totals(_TotalsShape.of(where))
        return _ranked(self.session.execute(statement, {**_totals_values(where), "limit": limit}).all())


class _TotalsShape(NamedTuple):
    """Which filters a read of the totals has (their values are bound parameters): each shape's statements
    are built once."""

    status: bool
    date_from: bool
    date_to: bool

    @classmethod
    def of(cls, where: SaleFilter) -> _TotalsShape:
        assert where.user_id is None, "the totals are not kept per user"
        return cls(where.status is not None, where.date_from is not None, where.date_to is not None)


def _totals_values(where: SaleFilter) -> dict[str, Any]:
    return {"status": where.status, "date_from": where.date_from, "date_to": where.date_to}


def _totals_conditions(table: Table, shape: _TotalsShape) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if shape.status:
        conditions.append(table.c.status == bindparam("status"))
    if shape.date_from:
        conditions.append(table.c.sold_on >= bindparam("date_from"))
    if shape.date_to:
        conditions.append(table.c.sold_on <= bindparam("date_to"))
    return conditions


def _daily(
    day: ColumnElement[Any],
    status: ColumnElement[str],
    sales: ColumnElement[int],
    revenue: ColumnElement[Decimal],
    conditions: list[ColumnElement[bool]],
) -> Select[*tuple[Any, ...]]:
    day = day.label("day")
    sold = func.coalesce(func.sum(revenue).filter(status != SaleStatus.CANCELLED), 0)
    per_status = [func.sum(sales).filter(status == value) for value in _STATUSES]
    return select(day, sold, *per_status).where(*conditions).group_by(day)


@functools.lru_cache(maxsize=16)
def _daily_totals(shape: _TotalsShape) -> Select[*tuple[Any, ...]]:
    table = _day_totals
    conditions = _totals_conditions(table, shape)
    return _daily(table.c.sold_on, table.c.status, table.c.sales_count, table.c.revenue, conditions)


def _top_products(
    source: FromClause,
    columns: tuple[ColumnElement[int], ColumnElement[str], ColumnElement[int], ColumnElement[Decimal]],
    conditions: list[ColumnElement[bool]],
) -> Select[*tuple[Any, ...]]:
    """The top `limit` products (and the units of all) from `source`'s (product id, name, units, money)
    `columns`. A product shows the greatest of its names in the range (they differ only if it was renamed)."""
    product_id, name, units, money = columns
    quantity = func.sum(units).label("quantity")
    revenue = func.sum(money).label("revenue")
    return (
        select(product_id, func.max(name), quantity, revenue, func.sum(func.sum(units)).over().label("items_sold"))
        .select_from(source)
        .where(*conditions)
        .group_by(product_id)
        .order_by(quantity.desc(), revenue.desc(), product_id)
        .limit(bindparam("limit", type_=Integer))
    )


@functools.lru_cache(maxsize=16)
def _top_by_day_totals(shape: _TotalsShape) -> Select[*tuple[Any, ...]]:
    table = _product_day_totals
    conditions = [
        table.c.status != SaleStatus.CANCELLED,
        table.c.quantity > 0,
        *_totals_conditions(table, shape),
    ]
    return _top_products(table, (table.c.product_id, table.c.name, table.c.quantity, table.c.revenue), conditions)


# As _top_products over product_sales_totals, whose rows need no grouping (a row per product): the top from the
# end of its (quantity, revenue) index, the units of every product in a sum of their own (a sum over the window
# of the ranked rows would read them all, and sort them).
_TOP_OF_ALL_TIME = (
    select(
        _product_totals.c.product_id,
        _product_totals.c.name,
        _product_totals.c.quantity,
        _product_totals.c.revenue,
        select(func.sum(_product_totals.c.quantity)).scalar_subquery(),
    )
    .where(_product_totals.c.quantity > 0)
    .order_by(_product_totals.c.quantity.desc(), _product_totals.c.revenue.desc(), _product_totals.c.product_id)
    .limit(bindparam("limit", type_=Integer))
)


def _ranked(rows: Sequence[Any]) -> tuple[int, list[tuple[int, str, int, Decimal]]]:
    """(items sold, the products) from rows of (product id, name, units, money, the units of every product)."""
    items_sold = int(rows[0][4]) if rows else 0
    return items_sold, [(int(pid), str(name), int(qty), Decimal(rev)) for pid, name, qty, rev, _all in rows]


_STATUSES = [status.value for status in SaleStatus]


def _iso_day(value: date | str) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)[:10]
