"""Fixtures for race tests: an app with its own engine and pool, and TRUNCATE cleanup after each test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from app import config as app_config
from app.extensions import db
from tests.helpers import truncate_all


@pytest.fixture(scope="session")
def race_app(app: Flask, make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """An app with its own engine (not the one `db_session` binds), its pool large enough for every thread.

    Its lock and statement timeouts are 30 s, not the app's 5 s: these tests queue dozens of checkouts on
    one product's row lock, and on a loaded machine (two test runs at once) a wait can pass 5 s, which is
    the 503 that tests/faults checks, not what these tests are about.
    """
    environ = {**os.environ, "DB_STATEMENT_TIMEOUT_MS": "30000"}
    options = dict(app_config.TestingConfig(environ).SQLALCHEMY_ENGINE_OPTIONS)
    options.update(pool_size=30, max_overflow=10)
    race = make_app(SQLALCHEMY_ENGINE_OPTIONS=options)
    yield race
    with race.app_context():
        db.engines[None].dispose()


@pytest.fixture
def truncate_after(race_app: Flask) -> Iterator[None]:
    """Empty every table after the test (race tests commit for real)."""
    yield
    with race_app.app_context():
        db.session.remove()
        with db.engines[None].begin() as connection:
            truncate_all(connection)
