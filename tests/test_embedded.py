"""`make dev`'s path: nothing configured means SQLite under instance/ and an in-process cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.config import Config, ProductionConfig
from app.extensions import db
from tests.builders import make_user, start_session
from tests.helpers import page_ids

pytestmark = pytest.mark.embedded


@pytest.fixture
def embedded_app(tmp_path: Path, rsa_keys: dict[str, str]) -> Flask:
    config = Config({})  # the environment a fresh clone has
    assert config.CACHE_TYPE == "SimpleCache"
    return create_app(
        config,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'dev.db'}",
        PASSWORD_HASH_PROFILE="fast",
        **rsa_keys,
    )


def test_migrate_seed_and_serve_on_sqlite(embedded_app: Flask) -> None:
    runner = embedded_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    seeded = runner.invoke(args=["seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    assert "Demo admin: admin@example.com / admin-dev-password" in seeded.output
    again = runner.invoke(args=["seed-demo"])
    assert "0 products added" in again.output

    client = embedded_app.test_client()
    assert client.get("/api/health").get_json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert client.get("/api/docs").status_code == 200
    with embedded_app.app_context():
        assert db.session.execute(db.text("SELECT count(*) FROM products")).scalar_one() >= 50
        db.session.remove()
        db.engine.dispose()


@pytest.mark.products
def test_the_catalog_works_on_sqlite_without_redis(tmp_path: Path, rsa_keys: dict[str, str]) -> None:
    embedded = create_app(
        Config({}), SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'dev.db'}", PASSWORD_HASH_PROFILE="fast", **rsa_keys
    )
    runner = embedded.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with embedded.app_context():
        admin_user = make_user(db.session, role="admin")
        headers = {"Authorization": f"Bearer {start_session(db.session, admin_user).access}"}
        db.session.commit()
    sqlite_client = embedded.test_client()

    searched = sqlite_client.get("/api/products?q=wireless mouse")
    mouse_id = page_ids(searched)[0]
    first_etag = sqlite_client.get(f"/api/products/{mouse_id}").headers["ETag"]
    changed = sqlite_client.patch(f"/api/products/{mouse_id}", json={"price": "19.99"}, headers=headers)
    detail = sqlite_client.get(f"/api/products/{mouse_id}", headers={"If-None-Match": first_etag})

    assert [item["name"] for item in searched.get_json()["items"]] == ["Wireless Mouse"]
    assert changed.status_code == 200
    assert (detail.status_code, detail.get_json()["price"]) == (200, "19.99")
    assert sqlite_client.get("/api/products?category=electronics&sort=price").get_json()["total"] == 10
    for query in ("per_page=7", "per_page=6&sort=price", "per_page=5&sort=-name", "per_page=2&q=wireless"):
        by_page, by_cursor, cursor, page = [], [], "", 1
        while True:
            listed = sqlite_client.get(f"/api/products?{query}&page={page}").get_json()
            by_page += [item["id"] for item in listed["items"]]
            followed = sqlite_client.get(f"/api/products?{query}" + (f"&cursor={cursor}" if cursor else "")).get_json()
            by_cursor += [item["id"] for item in followed["items"]]
            if followed["next_cursor"] is None:
                break
            cursor, page = followed["next_cursor"], page + 1
        assert by_cursor == by_page and len(by_page) == listed["total"], query
    with embedded.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_printed_demo_admin_credentials_log_in(embedded_app: Flask) -> None:
    runner = embedded_app.test_cli_runner()
    runner.invoke(args=["db", "upgrade"])
    runner.invoke(args=["seed-demo"])
    client = embedded_app.test_client()
    response = client.post("/api/users/login", json={"email": "admin@example.com", "password": "admin-dev-password"})
    assert response.status_code == 200
    assert response.get_json()["user"]["role"] == "admin"
    with embedded_app.app_context():
        db.engine.dispose()


def test_seed_demo_follows_admin_email_and_password_and_resets_a_changed_password(
    tmp_path: Path, rsa_keys: dict[str, str]
) -> None:
    settings = {"ADMIN_EMAIL": "Owner@Example.com", "ADMIN_PASSWORD": "my-own-dev-pass"}
    app = create_app(
        Config(settings),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'dev.db'}",
        PASSWORD_HASH_PROFILE="fast",
        **rsa_keys,
    )
    runner = app.test_cli_runner()
    runner.invoke(args=["db", "upgrade"])
    runner.invoke(args=["create-admin", "--email", "owner@example.com", "--password", "something-else"])
    seeded = runner.invoke(args=["seed-demo"])
    assert "Demo admin: owner@example.com / my-own-dev-pass" in seeded.output
    login = app.test_client().post(
        "/api/users/login", json={"email": "owner@example.com", "password": "my-own-dev-pass"}
    )
    assert login.status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_reset_dev_db_leaves_an_empty_database_that_migrates_again(embedded_app: Flask) -> None:
    runner = embedded_app.test_cli_runner()
    runner.invoke(args=["db", "upgrade"])
    runner.invoke(args=["seed-demo"])
    reset = runner.invoke(args=["reset-dev-db", "--yes"])
    assert reset.exit_code == 0, reset.output
    with embedded_app.app_context():
        assert db.inspect(db.engine).get_table_names() == []
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert "50 products added" in runner.invoke(args=["seed-demo"]).output
    with embedded_app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("command", [["seed-demo"], ["reset-dev-db", "--yes"]])
def test_demo_commands_refuse_to_run_in_production(command: list[str], tmp_path: Path) -> None:
    (tmp_path / "private.pem").write_text("unused")
    (tmp_path / "public.pem").write_text("unused")
    config = ProductionConfig(
        {
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "JWT_PRIVATE_KEY_PATH": str(tmp_path / "private.pem"),
            "JWT_PUBLIC_KEY_PATH": str(tmp_path / "public.pem"),
        }
    )
    app = create_app(config, JWT_PRIVATE_KEY="unused", JWT_PUBLIC_KEY="unused", RATELIMIT_ENABLED=False)
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code != 0
    assert "create-admin" in result.output


@pytest.mark.sales
def test_a_shopper_buys_on_sqlite(embedded_app: Flask) -> None:
    """Cart upserts, the stock lock and take, and invoice numbering on SQLite's code paths."""
    runner = embedded_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with embedded_app.app_context():
        shopper = make_user(db.session)
        headers = {"Authorization": f"Bearer {start_session(db.session, shopper).access}"}
        db.session.commit()
    client = embedded_app.test_client()
    product = client.get("/api/products?in_stock=true&per_page=1").get_json()["items"][0]
    address = client.post(
        "/api/users/me/addresses",
        json={
            "recipient_name": "Ada",
            "line1": "1 Main St",
            "city": "Leeds",
            "postal_code": "LS1 1AA",
            "country": "GB",
        },
        headers=headers,
    ).get_json()

    def add_one() -> dict[str, Any]:
        added = client.post("/api/sales/cart/items", json={"product_id": product["id"], "quantity": 1}, headers=headers)
        assert added.status_code == 201, added.get_json()
        return dict(added.get_json())

    def check_out() -> dict[str, Any]:
        sale = client.post("/api/sales/checkout", json={"delivery_address_id": address["id"]}, headers=headers)
        assert sale.status_code == 201, sale.get_json()
        return dict(sale.get_json())

    assert [add_one()["item_count"] for _ in range(3)] == [1, 2, 3]  # the item's insert, then its upserts
    first = check_out()
    add_one()
    second = check_out()

    assert [line["quantity"] for line in first["lines"]] == [3]
    assert int(second["invoice"]["number"][-6:]) == int(first["invoice"]["number"][-6:]) + 1
    after = client.get(f"/api/products/{product['id']}").get_json()["stock"]
    assert after == product["stock"] - 4
    with embedded_app.app_context():
        db.session.remove()
        db.engine.dispose()
