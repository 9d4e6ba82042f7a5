"""Fixtures the API tests share: headers of a fresh admin and of a fresh customer, and a ready blocklist.

The root `redis_db` fixture empties this run's Redis keys before each test, which leaves the blocklist without
its marker: the first authenticated request of every test would be checked in PostgreSQL and rebuild the
blocklist. Marking it ready keeps the tests here on the normal path (and statement counts exact);
tests/security exercises the lost-blocklist path.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis
from flask import Flask
from sqlalchemy.orm import Session

from app.models import User
from tests.builders import make_user


@pytest.fixture
def admin_headers(db_session: Session, auth_headers: Callable[[User], dict[str, str]]) -> dict[str, str]:
    return auth_headers(make_user(db_session, role="admin"))


@pytest.fixture
def customer_headers(db_session: Session, auth_headers: Callable[[User], dict[str, str]]) -> dict[str, str]:
    return auth_headers(make_user(db_session))


@pytest.fixture(autouse=True)
def blocklist_ready(app: Flask, redis_db: redis.Redis) -> None:
    redis_db.hset(app.config["BLOCKLIST_KEY"], "ready", repr(time.time()))
