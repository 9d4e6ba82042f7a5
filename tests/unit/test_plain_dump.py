"""plain_dump: the dump of a cache miss is the schema's own, field by field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from marshmallow import Schema, fields, post_dump

from app.schemas.base import plain_dump
from app.schemas.product import ProductOut, ProductPage
from app.schemas.sale import SalesAnalyticsOut
from app.services.product_service import CatalogProduct
from app.services.sales_analytics_service import DailyRevenue, ProductSales, SalesAnalytics
from app.utils.pagination import Page


def product(n: int, **fields: Any) -> CatalogProduct:
    values: dict[str, Any] = {
        "id": n,
        "sku": f"SKU-{n}",
        "name": f"Product {n}",
        "description": "",
        "price": Decimal("12.5"),
        "currency": "USD",
        "stock": n % 3,
        "in_stock": n % 3 > 0,
        "category": None,
        "image_url": None,
        "is_active": True,
        "created_at": datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        "updated_at": datetime(2026, 1, 2, 8, 4, 5, tzinfo=timezone(timedelta(hours=5))),
    }
    return CatalogProduct(**(values | fields))


@pytest.mark.parametrize("cursor", [None, "abc"])
def test_a_page_dumps_as_its_schema_would(cursor: str | None) -> None:
    items = [product(1), product(2, category="home", image_url="https://x.example/a.jpg", price=Decimal("0"))]
    page = Page(items, page=3, per_page=2, total=7, next_cursor=cursor)

    assert plain_dump(ProductPage())(page) == ProductPage().dump(page)


def test_a_product_dumps_as_its_schema_would() -> None:
    assert plain_dump(ProductOut())(product(5)) == ProductOut().dump(product(5))


def test_sales_analytics_dump_as_their_schema_would() -> None:
    analytics = SalesAnalytics(
        sales_count=3,
        revenue_total=Decimal("30.5"),
        average_order_value=Decimal("10.17"),
        items_sold=4,
        revenue_by_day=[DailyRevenue("2026-01-02", 1, Decimal("10")), DailyRevenue("2026-01-03", 2, Decimal("20.5"))],
        top_products=[ProductSales(7, "Mug", 3, Decimal("21.00")), ProductSales(8, "Lamp", 1, Decimal("9.5"))],
        by_status={"cancelled": 1, "pending": 3},
        currency="USD",
    )

    assert plain_dump(SalesAnalyticsOut())(analytics) == SalesAnalyticsOut().dump(analytics)


def test_a_schema_with_dump_hooks_is_refused() -> None:
    class Shouting(Schema):
        name = fields.String()

        @post_dump
        def shout(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
            return {k: v.upper() for k, v in data.items()}

    with pytest.raises(ValueError, match="dump hooks"):
        plain_dump(Shouting())
