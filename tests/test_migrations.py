"""The migrations are the schema: upgrade on an empty PostgreSQL database gives exactly the models."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app.extensions import db
from app.models import Base, Sale, SaleProduct
from tests.builders import make_product, make_user
from tests.helpers import recomputed_totals, stored_totals

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
BEFORE_SALE_TOTALS = "3f8a2c61d9e4"


@pytest.fixture
def empty_database(app: Flask, make_app) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    """A brand-new PostgreSQL database, dropped afterwards."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    name = f"{url.database}_migrations"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    scratch = make_app(SQLALCHEMY_DATABASE_URI=url.set(database=name).render_as_string(hide_password=False))
    yield scratch
    with scratch.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def schema_diff(app: Flask) -> list[object]:
    with app.app_context(), db.engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def test_upgrade_on_empty_database_matches_the_models(empty_database: Flask) -> None:
    with empty_database.app_context():
        upgrade(directory=MIGRATIONS)
    assert schema_diff(empty_database) == []


def test_downgrade_to_base_removes_every_table(empty_database: Flask) -> None:
    with empty_database.app_context():
        upgrade(directory=MIGRATIONS)
        downgrade(directory=MIGRATIONS, revision="base")
        tables = set(inspect(db.engine).get_table_names())
    assert tables <= {"alembic_version"}


def test_the_sale_totals_migration_back_fills_them_from_the_existing_sales(empty_database: Flask) -> None:
    with empty_database.app_context():
        upgrade(directory=MIGRATIONS, revision=BEFORE_SALE_TOTALS)
        session = db.session()
        buyer = make_user(session)
        products = [make_product(session, price="2.50", name=f"Good {i}") for i in range(3)]
        statuses = ["pending", "paid", "shipped", "delivered", "cancelled"]
        midnight = datetime(2026, 5, 2, tzinfo=UTC)
        for n in range(20):
            created_at = midnight + timedelta(hours=5 * n - 20, microseconds=-n)  # both sides of three midnights
            picked = products[: 1 + n % 3]
            quantities = [1 + (n + k) % 4 for k in range(len(picked))]
            total = sum((Decimal("2.50") * q for q in quantities), Decimal("0.00"))
            sale = Sale(
                user_id=buyer.id,
                status=statuses[n % 5],
                currency="USD",
                subtotal=total,
                tax=Decimal("0.00"),
                total=total,
                delivery_address={"city": "Springfield"},
                created_at=created_at,
                updated_at=created_at,
            )
            session.add(sale)
            session.flush()
            for product, quantity in zip(picked, quantities, strict=True):
                session.add(
                    SaleProduct(
                        sale_id=sale.id,
                        product_id=product.id,
                        sku=product.sku,
                        name=product.name,
                        unit_price=Decimal("2.50"),
                        quantity=quantity,
                        line_total=Decimal("2.50") * quantity,
                    )
                )
        session.commit()
        db.session.remove()

        upgrade(directory=MIGRATIONS)

        try:
            stored = stored_totals(db.session())
            assert stored == recomputed_totals(db.session())
        finally:
            db.session.remove()
    assert len({day for day, _status in stored.days}) == 5
    assert len(stored.product_days) > len(stored.days)
    assert len(stored.products) == 3  # three products, with sales not cancelled
    assert len(stored.products) < len(stored.product_days)
