"""Data access for catalog products: pages with filters, search and stable sorts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, case, func, literal, select, tuple_
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.orm import Session

from app.models import Product
from app.models.product import search_vector
from app.repos.sql import escape_like, is_postgresql
from app.utils.pagination import Cursor, scope_of

_WORD = re.compile(r"\w+")
# Catalog pages are read as plain rows of the table's columns, not as ORM objects: nothing in them is
# changed, and a page of 20 costs half the CPU to build and read (no identity map, no instance state).
_C = Product.__table__.c
_ROWS, _IDS = select(*_C), select(_C.id)
_SORT_COLUMNS = {"name": _C.name, "price": _C.price, "created_at": _C.created_at}
ProductRow = Row[*tuple[Any, ...]]  # a product's columns by name (and a search's rank last)


@dataclass(frozen=True)
class CatalogQuery:
    """What a catalog page asks for; `sort=None` means relevance with `q`, else newest first."""

    page: int = 1
    per_page: int = 20
    q: str | None = None
    category: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    sort: str | None = None
    include_archived: bool = False

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def words(self) -> list[str]:
        return [w.lower() for w in _WORD.findall(self.q or "")]

    @property
    def sort_key(self) -> str:
        """The order's key: "relevance" (searches without `sort`), else the sort's column."""
        if self.sort is None and self.q is not None and self.words:
            return "relevance"
        return (self.sort or "-created_at").lstrip("-")

    @property
    def scope(self) -> str:
        """What a cursor of this list is bound to (the filters, sort and page size; not the page)."""
        return scope_of(
            q=self.q,
            category=self.category,
            min_price=self.min_price,
            max_price=self.max_price,
            in_stock=self.in_stock,
            include_archived=self.include_archived,
            sort=self.sort,
            per_page=self.per_page,
        )


@dataclass(frozen=True)
class CatalogSlice:
    """A page of products (rows with a product's columns), and the cursor of the page after it (None on the
    last page)."""

    items: Sequence[ProductRow]
    next_cursor: str | None


class ProductRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, product_id: int) -> Product | None:
        return self.session.get(Product, product_id)

    def get_active(self, product_id: int) -> Product | None:
        return self.session.scalars(
            select(Product).where(Product.id == product_id, Product.is_active.is_(True))
        ).one_or_none()

    def add(self, product: Product) -> None:
        self.session.add(product)

    def stocks(self, product_ids: list[int]) -> dict[int, int]:
        """The stock of each of these products that exists: one statement."""
        if not product_ids:
            return {}
        rows = self.session.execute(select(Product.id, Product.stock).where(Product.id.in_(product_ids)))
        return {product_id: stock for product_id, stock in rows}

    def skus(self) -> set[str]:
        """Every SKU in the catalog, archived products' too."""
        return set(self.session.scalars(select(Product.sku)))

    def list_page(self, query: CatalogQuery, after: Cursor | None = None) -> CatalogSlice:
        """One page of products, in a total order (ties broken on id): one statement (two for the page of a
        search where its name matches end).

        `after` (keyset pagination): the rows that follow that cursor's (sort key, id) in the order,
        found through the same sort index at any depth; else page `query.page` by OFFSET. One row more
        than the page is read, to tell whether another page follows.

        Past an OFFSET, a deferred join: the inner query finds the page's ids only (an index-only scan past
        OFFSET rows), the outer one reads just those rows. At offset 80,000 of 100k products this took 10 ms
        instead of 56 ms for a plain OFFSET that fetches every skipped row. A page that starts where the index
        does (the first page, a cursor) is one plain index scan, which PostgreSQL plans and runs in a quarter
        of the time of the join.
        """
        if query.sort_key == "relevance" and (after is not None or query.offset == 0):
            return self._ranked_page(query, after)
        order = self._order(query)
        key = order[0].element if len(order) == 2 else order[0]  # the sort key, without its direction
        ranked = query.sort_key == "relevance"
        rows_of = _ROWS.add_columns(key.label("rank")) if ranked else _ROWS  # the rank is no column
        deferred = ranked or (after is None and query.offset > 0)
        found = self._filtered(_IDS if deferred else rows_of, query)
        if after is not None:
            follows = tuple_(key, _C.id) < tuple_(literal(after.key), literal(after.id))
            if _ascending(query):
                follows = tuple_(key, _C.id) > tuple_(literal(after.key), literal(after.id))
            found = found.where(follows)
        elif query.offset:
            found = found.offset(query.offset)
        statement = found.order_by(*order).limit(query.per_page + 1)
        if deferred:
            statement = rows_of.where(_C.id.in_(statement.scalar_subquery())).order_by(*order)
        return self._slice(query, after, self.session.execute(statement).all(), "rank" if ranked else str(key.key))

    def _ranked_page(self, query: CatalogQuery, after: Cursor | None) -> CatalogSlice:
        """A search's first page, or the page after a cursor, in relevance order: the products with every
        word in their name (rank 0), then the others that match (rank 1), each rank by id.

        One rank at a time, up to the page's end. The name matches in id order: for a word in 12% of 100k
        products, PostgreSQL walks the primary key until the page is full (0.5 ms) instead of ranking all
        12,000 matches to keep 21 (13 ms); for a rare word it collects the few matches from the search
        index. It tells the two apart by the statistics of products_name_words (migration 20261202_1430).
        The other matches in the relevance order, which no index serves, so they always come from the search
        index, sorted: a walk of the ids would compute the tsvector of every product on the way (450 ms when
        none matches). A page by OFFSET ranks every match in one statement (list_page).
        """
        in_name = self._in_name(query.words)
        order_of_rank: dict[int, list[ColumnElement[Any]]] = {0: [_C.id], 1: [*self._relevance(query.words), _C.id]}
        rows: list[ProductRow] = []
        for rank in range(int(str(after.key)) if after is not None else 0, 2):  # a relevance cursor's key: 0 or 1
            found = self._filtered(_ROWS.add_columns(literal(rank).label("rank")), query)
            found = found.where(in_name if rank == 0 else ~in_name)
            if after is not None and rank == after.key:
                found = found.where(_C.id > after.id)
            wanted = query.per_page + 1 - len(rows)
            rows += self.session.execute(found.order_by(*order_of_rank[rank]).limit(wanted)).all()
            if len(rows) > query.per_page:
                break
        return self._slice(query, after, rows, "rank")

    @staticmethod
    def _slice(query: CatalogQuery, after: Cursor | None, rows: Sequence[ProductRow], key: str) -> CatalogSlice:
        """The page of `rows` (the page and one row more, if any), and the cursor after its last row by `key`."""
        items = rows[: query.per_page]
        if len(rows) <= query.per_page:
            return CatalogSlice(items, None)
        last = rows[query.per_page - 1]
        page = (after.page if after is not None else query.page) + 1
        cursor = Cursor(page=page, sort=query.sort_key, key=_utc(last._mapping[key]), id=last.id, scope=query.scope)
        return CatalogSlice(items, cursor.encode())

    def count(self, query: CatalogQuery) -> int:
        """How many products match the filters of `query` (page and sort ignored)."""
        statement = self._filtered(select(func.count()).select_from(Product.__table__), query)
        return int(self.session.scalar(statement) or 0)

    def _filtered(self, statement: Select[Any], query: CatalogQuery) -> Select[Any]:
        conditions: list[ColumnElement[bool]] = []
        if not query.include_archived:
            conditions.append(_C.is_active.is_(True))
        if query.category is not None:
            conditions.append(_C.category == query.category)
        if query.min_price is not None:
            conditions.append(_C.price >= query.min_price)
        if query.max_price is not None:
            conditions.append(_C.price <= query.max_price)
        if query.in_stock is not None:
            conditions.append(_C.stock > 0 if query.in_stock else _C.stock == 0)
        if query.q is not None:
            conditions.append(self._matches(query.words))
        return statement.where(and_(*conditions)) if conditions else statement

    def _matches(self, words: list[str]) -> ColumnElement[bool]:
        if not words:
            return literal(False)
        if is_postgresql(self.session):
            # The GIN index ix_products_search serves this: every word, as a word prefix.
            return search_vector().op("@@")(self._tsquery(words))
        # SQLite (make dev): the same meaning without an index, every word at the start of a word.
        haystack = literal(" ") + func.lower(_C.name) + literal(" ") + func.lower(_C.description)
        return and_(*(haystack.like(f"% {escape_like(word)}%", escape="\\") for word in words))

    def _order(self, query: CatalogQuery) -> list[ColumnElement[Any]]:
        if query.sort_key == "relevance":
            return [*self._relevance(query.words), _C.id.asc()]
        sort = query.sort or "-created_at"
        column = _SORT_COLUMNS[sort.lstrip("-")]
        if sort.startswith("-"):
            # id in the same direction as the key, so one index scan (is_active, key, id) serves it.
            return [column.desc(), _C.id.desc()]
        return [column.asc(), _C.id.asc()]

    @staticmethod
    def _relevance(words: list[str]) -> list[ColumnElement[Any]]:
        # Two tiers, the same on every backend: every word in the name first, then description-only
        # matches. Measured on 100k products, a LIKE over the matched names costs ~28 ms for a word in a
        # third of the catalog, where ts_rank over on-the-fly tsvectors cost ~450 ms.
        return [case((ProductRepo._in_name(words), 0), else_=1).asc()]

    @staticmethod
    def _in_name(words: list[str]) -> ColumnElement[bool]:
        """Every word at the start of a word of the name. `' ' || lower(name)` is the expression that the
        statistics products_name_words describe: keep the two the same."""
        name = literal(" ") + func.lower(_C.name)
        return and_(*(name.like(f"% {escape_like(w)}%", escape="\\") for w in words))

    @staticmethod
    def _tsquery(words: list[str]) -> ColumnElement[Any]:
        # Only \w+ words reach to_tsquery, so no tsquery syntax can be injected. "(w | w:*)" means "w:*": the
        # exact word is there for the planner, which estimates a prefix alone far too low (2% for a word in
        # 12% of the products) and would then rank every match of a common word instead of walking the ids.
        query = " & ".join(f"({w} | {w}:*)" for w in words)
        return func.to_tsquery(literal("simple").cast(REGCONFIG), query)


def _ascending(query: CatalogQuery) -> bool:
    return query.sort_key == "relevance" or not (query.sort or "-created_at").startswith("-")


def _utc(value: Any) -> Any:
    """SQLite hands timestamps back naive (they are UTC); a cursor carries them aware."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
