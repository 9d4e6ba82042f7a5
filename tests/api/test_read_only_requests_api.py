"""GET and HEAD requests only read: on PostgreSQL their statements run in autocommit (no BEGIN or ROLLBACK
round trips), the connection goes back to the pool transactional for the next write, and a write in one raises."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, has_request_context, request
from sqlalchemy import Connection, event, update

from app.extensions import db
from app.models import Product
from tests.builders import make_product, make_user, start_session


def test_reads_run_in_autocommit_and_writes_in_a_transaction(committing_app: Flask) -> None:
    with committing_app.app_context():
        product = make_product(db.session, price="4.50", stock=3)
        token = start_session(db.session, make_user(db.session, role="admin")).access
        db.session.commit()
        product_id = product.id
        engine = db.engine
        db.session.remove()
    admin = {"Authorization": f"Bearer {token}"}
    client = committing_app.test_client()
    seen: list[tuple[str, bool]] = []  # (request method, autocommit) of each statement

    def on_statement(conn: Connection, *_args: Any) -> None:
        method = request.method if has_request_context() else "-"
        seen.append((method, conn.connection.driver_connection.autocommit))  # type: ignore[union-attr]

    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        assert client.get("/api/products?sort=price").status_code == 200
        assert client.head(f"/api/products/{product_id}").status_code == 200
        changed = client.patch(f"/api/products/{product_id}", json={"price": "5.00"}, headers=admin)
        assert changed.status_code == 200
        after = client.get(f"/api/products/{product_id}")
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
    assert after.get_json()["price"] == "5.00"  # the write committed
    assert {method for method, _ in seen} == {"GET", "HEAD", "PATCH"}
    assert all(autocommit for method, autocommit in seen if method in ("GET", "HEAD"))
    assert not any(autocommit for method, autocommit in seen if method == "PATCH")
    with committing_app.app_context(), db.engine.connect() as connection:  # the pool hands out transactions
        assert connection.connection.driver_connection.autocommit is False  # type: ignore[union-attr]


@pytest.mark.usefixtures("connection")
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_write_in_a_read_request_raises(app: Flask, method: str) -> None:
    with app.test_request_context("/api/products", method=method):
        with pytest.raises(RuntimeError, match="may not write"):
            db.session.execute(update(Product).values(stock=0))
        db.session.add(Product(sku="NEW-1", name="New", price="1.00"))
        with pytest.raises(RuntimeError, match="may not write"):
            db.session.flush()
        db.session.rollback()
        db.session.remove()


@pytest.mark.usefixtures("connection")
def test_other_requests_may_write(app: Flask) -> None:
    with app.test_request_context("/api/products", method="POST"):
        db.session.add(Product(sku="NEW-1", name="New", price="1.00"))
        db.session.flush()
        assert db.session.execute(update(Product).values(stock=0)).rowcount == 1
        db.session.rollback()
        db.session.remove()
