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
