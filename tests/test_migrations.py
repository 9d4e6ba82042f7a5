"""The migrations are the schema: upgrade on an empty PostgreSQL database gives exactly the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app.extensions import db
from app.models import Base

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


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
