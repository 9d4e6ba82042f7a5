"""The admin analytics from the totals tables: after checkouts, cancellations and status changes over HTTP, they
and the totals equal a recomputation straight from sales and sale_products."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.models import User
from app.repos.sale_repo import SaleRepo
from tests.builders import make_address, make_product, make_user
from tests.helpers import count_statements, recomputed_analytics, recomputed_totals, stored_totals

pytestmark = pytest.mark.sales

Headers = Callable[[User], dict[str, str]]

# Checkout moments on both sides of UTC midnights: the day is the UTC day of created_at.
MOMENTS = [
    datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 3, 2, 0, 0, tzinfo=UTC),
    datetime(2026, 3, 2, 13, 30, tzinfo=UTC),
    datetime(2026, 3, 3, 8, 0, tzinfo=UTC),
]


def _trade(
    client: FlaskClient, session: Session, auth_headers: Headers, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, str], list[int]]:
    """Three buyers check out 14 carts over 12 products on three days, then owners cancel, and an admin pays,
    ships, delivers and cancels: every path that changes a sale, over HTTP. The admin's headers and the users."""
    moments = itertools.cycle(MOMENTS)
    monkeypatch.setattr("app.services.checkout_service.utcnow", lambda: next(moments))
    products = [make_product(session, price=f"{3 + i}.{i}5", stock=1000, name=f"Good {i:02d}") for i in range(12)]
    buyers = [make_user(session) for _ in range(3)]
    addresses = [make_address(session, buyer).id for buyer in buyers]
    headers = [auth_headers(buyer) for buyer in buyers]
    sales: list[tuple[int, dict[str, str]]] = []
    for n in range(14):
        who = n % 3
        for k in range(1 + n % 3):
            product = products[(n * 5 + k * 7) % 12]
            body = {"product_id": product.id, "quantity": 1 + (n + k) % 4}
            assert client.post("/api/sales/cart/items", json=body, headers=headers[who]).status_code == 201
        response = client.post(
            "/api/sales/checkout", json={"delivery_address_id": addresses[who]}, headers=headers[who]
        )
        assert response.status_code == 201, response.get_json()
        sales.append((response.get_json()["id"], headers[who]))
    admin = auth_headers(make_user(session, role="admin"))
    for sale_id, owner in (sales[0], sales[5]):
        assert client.post(f"/api/sales/{sale_id}/cancel", headers=owner).status_code == 200
    moves = {
        1: ["paid"],
        2: ["paid", "shipped"],
        3: ["paid", "shipped", "delivered"],
        4: ["paid", "cancelled"],
        6: ["cancelled"],
        7: ["paid"],
        9: ["paid", "shipped"],
    }
    for index, statuses in moves.items():
        for status in statuses:
            url = f"/api/sales/admin/sales/{sales[index][0]}"
            assert client.patch(url, json={"status": status}, headers=admin).status_code == 200
    assert client.post(f"/api/sales/{sales[7][0]}/cancel", headers=admin).status_code == 200  # paid, by an admin
    assert (
        client.patch(f"/api/sales/admin/sales/{sales[6][0]}", json={"status": "paid"}, headers=admin).status_code == 409
    )
    session.expire_all()
    return admin, [buyer.id for buyer in buyers]


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"date_from": date(2026, 3, 2), "date_to": date(2026, 3, 2)},
        {"date_from": date(2026, 3, 2)},
        {"date_to": date(2026, 3, 1)},
        {"status": "paid"},
        {"status": "cancelled"},
        {"status": "shipped", "date_from": date(2026, 3, 2), "date_to": date(2026, 3, 3)},
        {"date_from": date(2026, 3, 4)},
    ],
    ids=["all", "one-day", "from", "to", "paid", "cancelled", "status-and-days", "no-day"],
)
def test_analytics_equal_a_recomputation_from_the_sales_after_every_kind_of_change(
    client: FlaskClient,
    db_session: Session,
    auth_headers: Headers,
    monkeypatch: pytest.MonkeyPatch,
    filters: dict[str, object],
) -> None:
    admin, _users = _trade(client, db_session, auth_headers, monkeypatch)
    query = "".join(f"&{name}={value}" for name, value in filters.items())

    with count_statements() as sql:
        body = client.get(f"/api/sales/admin/sales?analytics=true{query}", headers=admin).get_json()

    assert sql.count == 2, sql.statements
    assert all("sale_products" not in statement for statement in sql.statements)
    expected = recomputed_analytics(db_session, **filters)  # type: ignore[arg-type]
    assert {name: value for name, value in body.items() if name != "currency"} == expected


@pytest.mark.parametrize(
    ("filters", "table"),
    [
        ("", "product_sales_totals"),
        ("&status=paid", "product_sales_by_day"),
        ("&date_from=2026-03-02", "product_sales_by_day"),
        ("&date_to=2026-03-02", "product_sales_by_day"),
    ],
    ids=["all-time", "one-status", "from", "to"],
)
def test_top_products_read_the_all_time_totals_unless_a_filter_needs_the_days(
    client: FlaskClient,
    db_session: Session,
    auth_headers: Headers,
    monkeypatch: pytest.MonkeyPatch,
    filters: str,
    table: str,
) -> None:
    admin, _users = _trade(client, db_session, auth_headers, monkeypatch)

    with count_statements() as sql:
        response = client.get(f"/api/sales/admin/sales?analytics=true{filters}", headers=admin)

    assert response.status_code == 200
    top_products = [statement for statement in sql.statements if "product_sales_" in statement]
    assert len(top_products) == 1, sql.statements
    assert f"FROM {table} " in top_products[0]
    other = {"product_sales_totals", "product_sales_by_day"} - {table}
    assert other.pop() not in top_products[0]


def test_analytics_of_one_user_are_computed_from_their_sales(
    client: FlaskClient, db_session: Session, auth_headers: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, users = _trade(client, db_session, auth_headers, monkeypatch)

    with count_statements() as sql:
        body = client.get(f"/api/sales/admin/sales?analytics=true&user_id={users[1]}", headers=admin).get_json()

    assert all("_by_day" not in statement for statement in sql.statements)  # the totals know no users
    assert {name: value for name, value in body.items() if name != "currency"} == recomputed_analytics(
        db_session, user_id=users[1]
    )
    assert body["sales_count"] > 0


def test_the_totals_follow_every_checkout_cancellation_and_status_change(
    client: FlaskClient, db_session: Session, auth_headers: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    _trade(client, db_session, auth_headers, monkeypatch)

    kept = stored_totals(db_session)

    assert kept == recomputed_totals(db_session)
    assert {day for day, _status in kept.days} == {date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)}
    assert len({product_id for _day, _status, product_id in kept.product_days}) > 10  # more than the top shown
    assert set(kept.products) == {product_id for _day, status, product_id in kept.product_days if status != "cancelled"}
    assert {status for _day, status, _product_id in kept.product_days} == {
        "pending",
        "paid",
        "shipped",
        "delivered",
        "cancelled",
    }
    SaleRepo(db_session).rebuild_totals()
    assert stored_totals(db_session) == kept
