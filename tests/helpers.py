"""Assertions and clean-up that several test modules share (data builders are in builders.py)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date
from decimal import Decimal
from typing import Any, NamedTuple

from flask.testing import FlaskClient
from sqlalchemy import Connection, event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.models import Base, Product, ProductSalesByDay, ProductSalesTotal, Sale, SaleProduct, SalesByDay, User
from app.models.sale import SaleStatus
from app.utils.money import to_cents
from tests.builders import make_address, make_cart, make_user

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem document with this status and code; returns its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status
    assert body["code"] == code
    assert {"type", "title", "detail"} <= body.keys()
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def page_ids(response: Any) -> list[int]:
    """The ids of the items of a page response, in order."""
    return [item["id"] for item in response.get_json()["items"]]


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


# Each request's session joins the test's transaction with a SAVEPOINT. In production the same request opens a
# plain transaction, which the driver begins and ends without a statement of its own, so these are not counted.
_TEST_TRANSACTION = re.compile(r"(RELEASE |ROLLBACK TO )?SAVEPOINT ")


@contextmanager
def count_statements() -> Iterator[StatementCounter]:
    """Every SQL statement any engine sends while the block runs, as production would send them."""
    counter = StatementCounter()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not _TEST_TRANSACTION.match(statement):
            counter.statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield counter
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def buy(
    client: FlaskClient,
    session: Session,
    auth_headers: Callable[[User], dict[str, str]],
    product: Product,
    qty: int,
) -> Any:
    """A new buyer checks out `qty` of `product` through the API; the sale as answered. The test's session
    forgets what it held of the rows the checkout changed."""
    buyer = make_user(session)
    address = make_address(session, buyer)
    make_cart(session, buyer, {product: qty})
    response = client.post("/api/sales/checkout", json={"delivery_address_id": address.id}, headers=auth_headers(buyer))
    assert response.status_code == 201, response.get_json()
    session.expire_all()
    return response.get_json()


def truncate_all(connection: Connection) -> None:
    """Empty every table of the models, for tests that commit for real."""
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


# --- the analytics' totals, recomputed in Python straight from sales and sale_products ----------------------


class Totals(NamedTuple):
    """The three totals tables' rows by primary key: sales_by_day, product_sales_by_day, product_sales_totals."""

    days: dict[tuple[date, str], tuple[int, Decimal]]
    product_days: dict[tuple[date, str, int], tuple[str, int, Decimal]]
    products: dict[int, tuple[str, int, Decimal]]


def recomputed_totals(session: Session) -> Totals:
    """What the totals tables must hold, from every sale and line: per (UTC day, status) the sales and their
    revenue, per (day, status, product) the name, units and line totals, and per product those of its sales not
    cancelled."""
    sales = {
        sale_id: (created_at.astimezone(UTC).date(), status, total)
        for sale_id, created_at, status, total in (
            session.execute(select(Sale.id, Sale.created_at, Sale.status, Sale.total))
        )
    }
    days: dict[tuple[date, str], list[Any]] = defaultdict(lambda: [0, Decimal("0")])
    for day, status, total in sales.values():
        days[day, status][0] += 1
        days[day, status][1] += total
    products: dict[tuple[date, str, int], list[Any]] = defaultdict(lambda: ["", 0, Decimal("0")])
    lines = session.execute(
        select(
            SaleProduct.sale_id, SaleProduct.product_id, SaleProduct.name, SaleProduct.quantity, SaleProduct.line_total
        )
    )
    for sale_id, product_id, name, quantity, line_total in lines:
        day, status, _total = sales[sale_id]
        row = products[day, status, product_id]
        row[0] = max(row[0], name)
        row[1] += quantity
        row[2] += line_total
    all_days: dict[int, list[Any]] = defaultdict(lambda: ["", 0, Decimal("0")])
    for (_day, status, product_id), (name, quantity, revenue) in products.items():
        if status == SaleStatus.CANCELLED:
            continue
        row = all_days[product_id]
        row[0] = max(row[0], name)
        row[1] += quantity
        row[2] += revenue
    return Totals(
        {key: (n, revenue) for key, (n, revenue) in days.items()},
        {key: (name, quantity, revenue) for key, (name, quantity, revenue) in products.items()},
        {key: (name, quantity, revenue) for key, (name, quantity, revenue) in all_days.items()},
    )


def stored_totals(session: Session) -> Totals:
    """What the totals tables hold, without the rows a status change emptied (zero sales and zero money)."""
    days = session.execute(select(SalesByDay.sold_on, SalesByDay.status, SalesByDay.sales_count, SalesByDay.revenue))
    products = session.execute(
        select(
            ProductSalesByDay.sold_on,
            ProductSalesByDay.status,
            ProductSalesByDay.product_id,
            ProductSalesByDay.name,
            ProductSalesByDay.quantity,
            ProductSalesByDay.revenue,
        )
    )
    all_days = session.execute(
        select(
            ProductSalesTotal.product_id,
            ProductSalesTotal.name,
            ProductSalesTotal.quantity,
            ProductSalesTotal.revenue,
        )
    )
    return Totals(
        {(day, status): (n, revenue) for day, status, n, revenue in days if (n, revenue) != (0, 0)},
        {
            (day, status, pid): (name, quantity, revenue)
            for day, status, pid, name, quantity, revenue in products
            if (quantity, revenue) != (0, 0)
        },
        {pid: (name, quantity, revenue) for pid, name, quantity, revenue in all_days if (quantity, revenue) != (0, 0)},
    )


def recomputed_analytics(
    session: Session,
    *,
    status: str | None = None,
    user_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict[str, Any]:
    """The body GET /api/sales/admin/sales?analytics=true must answer (but its currency), from every sale and
    line, filtered as the endpoint filters (whole UTC days, inclusive)."""
    picked = {}
    for sale_id, created_at, sale_status, total, owner in session.execute(
        select(Sale.id, Sale.created_at, Sale.status, Sale.total, Sale.user_id)
    ):
        day = created_at.astimezone(UTC).date()
        if (
            (status is None or sale_status == status)
            and (user_id is None or owner == user_id)
            and (date_from is None or day >= date_from)
            and (date_to is None or day <= date_to)
        ):
            picked[sale_id] = (day, sale_status, total)
    by_status: dict[str, int] = defaultdict(int)
    by_day: dict[date, list[Any]] = defaultdict(lambda: [0, Decimal("0")])
    for day, sale_status, total in picked.values():
        by_status[sale_status] += 1
        if sale_status != "cancelled":
            by_day[day][0] += 1
            by_day[day][1] += total
    products: dict[int, list[Any]] = defaultdict(lambda: ["", 0, Decimal("0")])
    for sale_id, product_id, name, quantity, line_total in session.execute(
        select(
            SaleProduct.sale_id, SaleProduct.product_id, SaleProduct.name, SaleProduct.quantity, SaleProduct.line_total
        )
    ):
        if sale_id in picked and picked[sale_id][1] != "cancelled":
            row = products[product_id]
            row[0] = max(row[0], name)
            row[1] += quantity
            row[2] += line_total
    count = sum(n for n, _revenue in by_day.values())
    revenue = sum((r for _n, r in by_day.values()), Decimal("0"))
    top = sorted(products.items(), key=lambda item: (-item[1][1], -item[1][2], item[0]))[:10]
    return {
        "sales_count": count,
        "revenue_total": f"{revenue:.2f}",
        "average_order_value": f"{to_cents(revenue / count) if count else Decimal(0):.2f}",
        "items_sold": sum(quantity for _name, quantity, _revenue in products.values()),
        "revenue_by_day": [
            {"date": day.isoformat(), "sales": n, "revenue": f"{r:.2f}"} for day, (n, r) in sorted(by_day.items())
        ],
        "top_products": [
            {"product_id": pid, "name": name, "quantity": quantity, "revenue": f"{r:.2f}"}
            for pid, (name, quantity, r) in top
        ],
        "by_status": dict(sorted(by_status.items())),
    }
