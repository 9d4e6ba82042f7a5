"""Sales analytics for admins over the non-cancelled sales: from the per-day totals, or per sale for one user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from app.config import ShopSettings
from app.extensions import db
from app.models.sale import SaleStatus
from app.repos.sale_repo import SaleFilter, SaleRepo
from app.utils.money import to_cents

TOP_PRODUCTS = 10


@dataclass(frozen=True)
class DailyRevenue:
    date: str
    sales: int
    revenue: Decimal


@dataclass(frozen=True)
class ProductSales:
    product_id: int
    name: str
    quantity: int
    revenue: Decimal


@dataclass(frozen=True)
class SalesAnalytics:
    sales_count: int
    revenue_total: Decimal
    average_order_value: Decimal
    items_sold: int
    revenue_by_day: list[DailyRevenue]
    top_products: list[ProductSales]
    by_status: dict[str, int]
    currency: str


class SalesAnalyticsService:
    def __init__(self, shop: ShopSettings, session: Session | None = None) -> None:
        self.shop = shop
        self.session = session or db.session()
        self.sales = SaleRepo(self.session)

    def analytics(
        self,
        *,
        status: SaleStatus | None = None,
        user_id: int | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> SalesAnalytics:
        """Sales figures over the non-cancelled sales (by_status over all): two statements.

        Without `user_id`, both read the totals the sale repo keeps at every checkout and status change
        (sales_by_day; product_sales_totals, or product_sales_by_day for a date range or a status), so the cost
        follows the days and products in the range, not the number of sales. The totals are not kept per user: with
        `user_id`, one pass over that user's sales and one over their lines (a user's sales are few, and indexed
        by user).
        """
        where = SaleFilter(status=status, user_id=user_id, date_from=date_from, date_to=date_to)
        days = self.sales.by_day(where)
        items_sold, top = self.sales.lines_summary(where, TOP_PRODUCTS)
        by_status: dict[str, int] = {}
        by_day: dict[str, tuple[int, Decimal]] = {}
        for day, day_revenue, day_statuses in days:
            for day_status, n in day_statuses.items():
                by_status[day_status] = by_status.get(day_status, 0) + n
            sold = sum(n for day_status, n in day_statuses.items() if day_status != SaleStatus.CANCELLED)
            if sold:
                by_day[day] = (sold, day_revenue)
        count = sum(n for n, _r in by_day.values())
        revenue = sum((r for _n, r in by_day.values()), Decimal("0"))
        return SalesAnalytics(
            sales_count=count,
            revenue_total=revenue,
            average_order_value=to_cents(revenue / count) if count else Decimal("0.00"),
            items_sold=items_sold,
            revenue_by_day=[DailyRevenue(d, n, r) for d, (n, r) in sorted(by_day.items())],
            top_products=[ProductSales(*row) for row in top],
            by_status=dict(sorted(by_status.items())),
            currency=self.shop.currency,
        )
