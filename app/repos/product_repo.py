"""Data access for catalog products: pages with filters, search and stable sorts."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    select,
    tuple_,
)
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
    def descending(self) -> bool:
        """Whether the order runs from the greatest key down (newest first without `sort`; never relevance)."""
        return self.sort_key != "relevance" and (self.sort or "-created_at").startswith("-")

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
        shape = _Shape.of(query, is_postgresql(self.session))
        if shape.ranked and (after is not None or query.offset == 0):
            return self._ranked_page(query, shape, after)
        mode = "after" if after is not None else "offset" if query.offset else "first"
        rows = self.session.execute(_page(shape, mode), _params(query, after)).all()
        return self._slice(query, after, rows, "rank" if shape.ranked else shape.sort_key)

    def _ranked_page(self, query: CatalogQuery, shape: _Shape, after: Cursor | None) -> CatalogSlice:
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
        params = _params(query, after)
        rows: list[ProductRow] = []
        for rank in range(int(str(after.key)) if after is not None else 0, 2):  # a relevance cursor's key: 0 or 1
            params["limit"] = query.per_page + 1 - len(rows)
            statement = _rank_page(shape, rank, after is not None and rank == after.key)
            rows += self.session.execute(statement, params).all()
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
        shape = _Shape.of(query, is_postgresql(self.session))
        return int(self.session.scalar(_count(shape), _params(query, None)) or 0)


class _Shape(NamedTuple):
    """What makes two catalog statements the same statement: which filters a query has and its order, not
    their values, which are bound parameters (_params). Each shape's statements are built once (_page,
    _rank_page, _count), so SQLAlchemy finds them compiled without building them or their cache key again."""

    postgresql: bool
    include_archived: bool
    category: bool
    min_price: bool
    max_price: bool
    in_stock: bool | None
    words: int | None  # how many search words; None without a search
    sort_key: str
    descending: bool

    @classmethod
    def of(cls, query: CatalogQuery, postgresql: bool) -> _Shape:
        return cls(
            postgresql,
            query.include_archived,
            query.category is not None,
            query.min_price is not None,
            query.max_price is not None,
            query.in_stock,
            len(query.words) if query.q is not None else None,
            query.sort_key,
            query.descending,
        )

    @property
    def ranked(self) -> bool:
        return self.sort_key == "relevance"


def _params(query: CatalogQuery, after: Cursor | None) -> dict[str, Any]:
    """The values of a query's bound parameters, by name."""
    words = query.words
    params: dict[str, Any] = {
        "category": query.category,
        "min_price": query.min_price,
        "max_price": query.max_price,
        "offset": query.offset,
        "limit": query.per_page + 1,
        # Only \w+ words reach to_tsquery, so no tsquery syntax can be injected. "(w | w:*)" means "w:*": the
        # exact word is there for the planner, which estimates a prefix alone far too low (2% for a word in
        # 12% of the products) and would then rank every match of a common word instead of walking the ids.
        "tsquery": " & ".join(f"({w} | {w}:*)" for w in words),
        **{f"word_{i}": f"% {escape_like(w)}%" for i, w in enumerate(words)},  # at the start of a word
    }
    if after is not None:
        params |= {"after_key": after.key, "after_id": after.id}
    return params


def _conditions(shape: _Shape) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if not shape.include_archived:
        conditions.append(_C.is_active.is_(True))
    if shape.category:
        conditions.append(_C.category == bindparam("category"))
    if shape.min_price:
        conditions.append(_C.price >= bindparam("min_price"))
    if shape.max_price:
        conditions.append(_C.price <= bindparam("max_price"))
    if shape.in_stock is not None:
        conditions.append(_C.stock > 0 if shape.in_stock else _C.stock == 0)
    if shape.words is not None:
        conditions.append(_matches(shape))
    return conditions


def _matches(shape: _Shape) -> ColumnElement[bool]:
    if not shape.words:
        return literal(False)
    if shape.postgresql:
        # The GIN index ix_products_search serves this: every word, as a word prefix.
        query = func.to_tsquery(literal("simple").cast(REGCONFIG), bindparam("tsquery", type_=String))
        return search_vector().op("@@")(query)
    # SQLite (make dev): the same meaning without an index, every word at the start of a word.
    haystack = literal(" ") + func.lower(_C.name) + literal(" ") + func.lower(_C.description)
    return and_(*(haystack.like(bindparam(f"word_{i}", type_=String), escape="\\") for i in range(shape.words)))


def _in_name(shape: _Shape) -> ColumnElement[bool]:
    """Every word at the start of a word of the name. `' ' || lower(name)` is the expression that the
    statistics products_name_words describe: keep the two the same."""
    name = literal(" ") + func.lower(_C.name)
    return and_(*(name.like(bindparam(f"word_{i}", type_=String), escape="\\") for i in range(shape.words or 0)))


def _order(shape: _Shape) -> list[ColumnElement[Any]]:
    if shape.ranked:
        # Two tiers, the same on every backend: every word in the name first, then description-only
        # matches. Measured on 100k products, a LIKE over the matched names costs ~28 ms for a word in a
        # third of the catalog, where ts_rank over on-the-fly tsvectors cost ~450 ms.
        return [case((_in_name(shape), 0), else_=1).asc(), _C.id.asc()]
    column = _SORT_COLUMNS[shape.sort_key]
    if not shape.descending:
        return [column.asc(), _C.id.asc()]
    # id in the same direction as the key, so one index scan (is_active, key, id) serves it.
    return [column.desc(), _C.id.desc()]


@functools.lru_cache(maxsize=512)
def _page(shape: _Shape, mode: str) -> Select[Any]:
    """A page by relevance past an OFFSET, or by a sort: its first page, past an OFFSET, or after a cursor."""
    order = _order(shape)
    key = order[0].element  # the sort key, without its direction
    rows_of = _ROWS.add_columns(key.label("rank")) if shape.ranked else _ROWS  # the rank is no column
    deferred = shape.ranked or mode == "offset"
    found = (_IDS if deferred else rows_of).where(*_conditions(shape))
    if mode == "after":
        after = tuple_(bindparam("after_key", type_=key.type), bindparam("after_id", type_=Integer))
        found = found.where(tuple_(key, _C.id) < after if shape.descending else tuple_(key, _C.id) > after)
    elif mode == "offset":
        found = found.offset(bindparam("offset", type_=Integer))
    statement = found.order_by(*order).limit(bindparam("limit", type_=Integer))
    if deferred:
        return rows_of.where(_C.id.in_(statement.scalar_subquery())).order_by(*order)
    return statement


@functools.lru_cache(maxsize=512)
def _rank_page(shape: _Shape, rank: int, after: bool) -> Select[Any]:
    """Rank `rank` of a search's matches (0: every word in the name) by id, after the cursor's id if `after`."""
    in_name = _in_name(shape)
    found = _ROWS.add_columns(literal(rank).label("rank")).where(*_conditions(shape))
    found = found.where(in_name if rank == 0 else ~in_name)
    if after:
        found = found.where(_C.id > bindparam("after_id", type_=Integer))
    order = [_C.id] if rank == 0 else [case((in_name, 0), else_=1).asc(), _C.id]
    return found.order_by(*order).limit(bindparam("limit", type_=Integer))


@functools.lru_cache(maxsize=512)
def _count(shape: _Shape) -> Select[Any]:
    return select(func.count()).select_from(Product.__table__).where(*_conditions(shape))


def _utc(value: Any) -> Any:
    """SQLite hands timestamps back naive (they are UTC); a cursor carries them aware."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
