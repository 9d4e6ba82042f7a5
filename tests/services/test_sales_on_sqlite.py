"""The purchase path on the embedded SQLite database that `make dev` runs on (upserts, day grouping)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.config import Config
from app.extensions import db
from tests.builders import make_address, make_product, make_user, start_session
from tests.helpers import recomputed_analytics, recomputed_totals, stored_totals

pytestmark = [pytest.mark.embedded, pytest.mark.sales]


@pytest.fixture
def sqlite_app(tmp_path: Path, rsa_keys: dict[str, str]) -> Iterator[Flask]:
    app = create_app(
        Config({}),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'dev.db'}",
        PASSWORD_HASH_PROFILE="fast",
        **rsa_keys,
    )
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_purchase_checkout_replay_analytics_and_cancel_work_on_sqlite(sqlite_app: Flask) -> None:
    with sqlite_app.app_context():
        session = db.session()
        user = make_user(session)
        admin = make_user(session, role="admin")
        product = make_product(session, price="4.00", stock=5)
        address_id, product_id = make_address(session, user).id, product.id
        headers = {"Authorization": f"Bearer {start_session(session, user).access}"}
        admin_headers = {"Authorization": f"Bearer {start_session(session, admin).access}"}
        session.commit()
        db.session.remove()
    client = sqlite_app.test_client()

    for _ in range(2):
        added = client.post("/api/sales/cart/items", json={"product_id": product_id, "quantity": 1}, headers=headers)
        assert added.status_code == 201
    assert client.get("/api/sales/cart/total", headers=headers).get_json()["total"] == "8.00"
    keyed = {**headers, "Idempotency-Key": "sqlite-1"}
    sale = client.post("/api/sales/checkout", json={"delivery_address_id": address_id}, headers=keyed)
    replay = client.post("/api/sales/checkout", json={"delivery_address_id": address_id}, headers=keyed)
    assert sale.status_code == replay.status_code == 201
    assert replay.get_json()["id"] == sale.get_json()["id"]
    assert sale.get_json()["invoice"]["number"].endswith("-000001")

    analytics = client.get("/api/sales/admin/sales?analytics=true", headers=admin_headers).get_json()
    assert analytics["revenue_total"] == "8.00"
    assert analytics["revenue_by_day"] == [{"date": sale.get_json()["created_at"][:10], "sales": 1, "revenue": "8.00"}]
    cancelled = client.post(f"/api/sales/{sale.get_json()['id']}/cancel", headers=headers)
    assert cancelled.status_code == 200
    assert client.get("/api/sales/admin/sales?analytics=true", headers=admin_headers).get_json()["sales_count"] == 0


def test_the_sale_totals_follow_checkouts_and_status_changes_on_sqlite(sqlite_app: Flask) -> None:
    with sqlite_app.app_context():
        session = db.session()
        user = make_user(session)
        admin = make_user(session, role="admin")
        products = [make_product(session, price=price, stock=9) for price in ("4.00", "2.50")]
        address_id, product_ids = make_address(session, user).id, [product.id for product in products]
        headers = {"Authorization": f"Bearer {start_session(session, user).access}"}
        admin_headers = {"Authorization": f"Bearer {start_session(session, admin).access}"}
        session.commit()
        db.session.remove()
    client = sqlite_app.test_client()
    sales = []
    for quantity in (1, 2, 3):
        for product_id in product_ids:
            body = {"product_id": product_id, "quantity": quantity}
            assert client.post("/api/sales/cart/items", json=body, headers=headers).status_code == 201
        sale = client.post("/api/sales/checkout", json={"delivery_address_id": address_id}, headers=headers)
        sales.append(sale.get_json()["id"])
    assert (
        client.patch(f"/api/sales/admin/sales/{sales[0]}", json={"status": "paid"}, headers=admin_headers).status_code
        == 200
    )
    assert client.post(f"/api/sales/{sales[1]}/cancel", headers=headers).status_code == 200

    analytics = client.get("/api/sales/admin/sales?analytics=true", headers=admin_headers).get_json()

    with sqlite_app.app_context():
        session = db.session()
        assert stored_totals(session) == recomputed_totals(session)
        assert {k: v for k, v in analytics.items() if k != "currency"} == recomputed_analytics(session)
        db.session.remove()
    assert analytics["by_status"] == {"cancelled": 1, "paid": 1, "pending": 1}
