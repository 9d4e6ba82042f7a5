"""The product catalog: browsing, search and admin writes, with cache invalidation after commit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, TypedDict, Unpack

from sqlalchemy import RowMapping
from sqlalchemy.orm import Session

from app.cache import counts, keys, stock
from app.config import ShopSettings
from app.extensions import db
from app.models import Product
from app.repos.product_repo import CatalogQuery, ProductRepo
from app.services.unit_of_work import UnitOfWork
from app.utils.exceptions import DuplicateSku, InvalidInput, ProductNotFound
from app.utils.pagination import Page, parse_cursor

# What a count depends on: the query without its page and order.
FILTERS = tuple(field.name for field in fields(CatalogQuery) if field.name not in {"page", "per_page", "sort"})


def _not_found(product_id: int) -> ProductNotFound:
    return ProductNotFound(f"There is no product {product_id} in the catalog.")


class CatalogProduct(NamedTuple):
    """A product as the catalog shows it, priced in the shop currency (a tuple: a page makes 20 at a time,
    a quarter of the cost of a frozen dataclass)."""

    id: int
    sku: str
    name: str
    description: str
    price: Decimal
    currency: str
    stock: int
    in_stock: bool
    category: str | None
    image_url: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, columns: Mapping[str, Any] | RowMapping, currency: str) -> CatalogProduct:
        """From a product's columns by name: a row's `_mapping` (by key: a quarter of the cost of a Row's
        attributes), or `columns_of(product)`."""
        stock = columns["stock"]
        return cls(
            columns["id"],
            columns["sku"],
            columns["name"],
            columns["description"],
            columns["price"],
            currency,
            stock,
            stock > 0,
            columns["category"],
            columns["image_url"],
            columns["is_active"],
            columns["created_at"],
            columns["updated_at"],
        )


def columns_of(product: Product) -> dict[str, Any]:
    return {column.key: getattr(product, column.key) for column in Product.__table__.columns}


class ProductChanges(TypedDict, total=False):
    sku: str
    name: str
    description: str
    price: Decimal
    stock: int
    category: str | None
    image_url: str | None
    is_active: bool


class ProductService:
    def __init__(self, shop: ShopSettings, session: Session | None = None) -> None:
        self.shop = shop
        self.session = session or db.session()
        self.uow = UnitOfWork(self.session)
        self.products = ProductRepo(self.session)

    def list_page(
        self,
        *,
        page: int = 1,
        per_page: int = 20,
        q: str | None = None,
        category: str | None = None,
        min_price: Decimal | None = None,
        max_price: Decimal | None = None,
        in_stock: bool | None = None,
        sort: str | None = None,
        include_archived: bool = False,
        cursor: str | None = None,
    ) -> Page[CatalogProduct]:
        """A page of the catalog: at most two statements (page, then count unless known).

        `sort=None` ranks by relevance when `q` is given (name matches first), else newest first.
        `cursor` (a `next_cursor`, already checked against these filters by the query schema)
        continues the list by keyset instead of `page`.
        """
        query = CatalogQuery(
            page=page,
            per_page=per_page,
            q=q,
            category=category,
            min_price=min_price,
            max_price=max_price,
            in_stock=in_stock,
            sort=sort,
            include_archived=include_archived,
        )
        after = parse_cursor(cursor, query.scope) if cursor is not None else None
        if after is not None:
            if after.sort != query.sort_key:  # the scope holds; a cursor edited by hand to another order's key
                raise InvalidInput({"cursor": ["This cursor belongs to another sort: send the same one."]})
            query = replace(query, page=after.page)
        rows = self.products.list_page(query, after)
        total = self._total(query, len(rows.items), positional=after is None)
        items = [CatalogProduct.of(row._mapping, self.shop.currency) for row in rows.items]
        return Page(items, query.page, query.per_page, total, rows.next_cursor)

    def stock_of(self, product_ids: list[int]) -> dict[int, int]:
        """The current stock of these products (one statement): what cached catalog reads show live."""
        return self.products.stocks(product_ids)

    def get(self, product_id: int) -> CatalogProduct:
        """An active product. Raises ProductNotFound (also for archived ones)."""
        product = self.products.get_active(product_id)
        if product is None:
            raise _not_found(product_id)
        return CatalogProduct.of(columns_of(product), self.shop.currency)

    def create(
        self,
        *,
        sku: str,
        name: str,
        price: Decimal,
        stock: int = 0,
        description: str = "",
        category: str | None = None,
        image_url: str | None = None,
    ) -> CatalogProduct:
        """Add a product to the catalog. Raises DuplicateSku."""
        with self.uow:
            product = Product(
                sku=sku,
                name=name,
                price=price,
                stock=stock,
                description=description,
                category=category,
                image_url=image_url,
            )
            self.products.add(product)
            self._commit(product, None)
        return CatalogProduct.of(columns_of(product), self.shop.currency)

    def replace(
        self,
        product_id: int,
        *,
        sku: str,
        name: str,
        price: Decimal,
        stock: int = 0,
        description: str = "",
        category: str | None = None,
        image_url: str | None = None,
    ) -> CatalogProduct:
        """Replace every editable field (archived products too). Raises ProductNotFound, DuplicateSku."""
        changes: ProductChanges = {
            "sku": sku,
            "name": name,
            "price": price,
            "stock": stock,
            "description": description,
            "category": category,
            "image_url": image_url,
        }
        return self.change(product_id, **changes)

    def change(self, product_id: int, **changes: Unpack[ProductChanges]) -> CatalogProduct:
        """Change the given fields (archived products too; `is_active=True` restores an archived one).
        Raises ProductNotFound, DuplicateSku."""
        with self.uow:
            product = self._get_any(product_id)
            before = counts.filtered(product)
            for field, value in changes.items():
                setattr(product, field, value)
            self._commit(product, before)
        return CatalogProduct.of(columns_of(product), self.shop.currency)

    def archive(self, product_id: int) -> None:
        """Hide a product from the catalog and new carts; sales keep their lines. Idempotent.

        Raises ProductNotFound for an id that never existed.
        """
        with self.uow:
            product = self._get_any(product_id)
            if not product.is_active:
                return
            before = counts.filtered(product)
            product.is_active = False
            self._commit(product, before)

    def _get_any(self, product_id: int) -> Product:
        product = self.products.get(product_id)
        if product is None:
            raise _not_found(product_id)
        return product

    def _commit(self, product: Product, before: counts.Filtered | None) -> None:
        """Commit an admin write of `product`, whose filtered values were `before` (None: a new product)."""
        sku = product.sku  # read before a failed commit expires it
        # An admin edit changes what every page may show: the whole catalog, and the product's live stock;
        # the numbers of matches only where it changed a value some filter reads.
        self.uow.after_commit(lambda: keys.bump(keys.CATALOG, *counts.moved(before, counts.filtered(product))))
        self.uow.after_commit(lambda: stock.invalidate([product.id]))
        self.uow.commit({"uq_products_sku": lambda: DuplicateSku(f"Another product already has the SKU {sku!r}.")})

    def _total(self, query: CatalogQuery, row_count: int, *, positional: bool = True) -> int:
        # A short page (or an empty first page) tells the total without counting; not one reached by
        # cursor, whose position may have moved since the first page.
        if positional and ((0 < row_count < query.per_page) or (row_count == 0 and query.page == 1)):
            return query.offset + row_count
        filters: dict[str, Any] = {name: getattr(query, name) for name in FILTERS}
        return counts.cached_count(keys.catalog_count(filters), filters, lambda: self.products.count(query))
