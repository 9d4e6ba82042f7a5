"""Fixtures for the revocation tests: an own Redis server to flush, kill and restart, and SQL counting."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import event

from app.extensions import db
from tests.faults.conftest import OwnRedis, own_redis

__all__ = ["OwnRedis", "counted_statements", "own_redis", "redis_of"]


def redis_of(server: OwnRedis) -> redis.Redis:
    """A plain client of the test's own Redis server (database 0, what the apps use)."""
    return redis.Redis(port=server.port, socket_timeout=1)


@contextmanager
def counted_statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement sent while the block runs (on the engine behind `app`, shared or not)."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engines[None]
    target = engine.engine if hasattr(engine, "engine") else engine
    event.listen(target, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(target, "before_cursor_execute", count)


@pytest.fixture
def on_own_redis(
    make_app: Callable[..., Flask], share_test_transaction: Callable[[Flask], Flask], own_redis: OwnRedis
) -> Callable[[], Flask]:
    """Build app instances whose Redis (cache and blocklist) is `own_redis`, on this test's transaction.

    Each instance has its own blocklist client and its own memory of Redis failures, as two servers
    would; a failure is not remembered (BLOCKLIST_RETRY_AFTER_SECONDS=0), so Redis is asked again on
    the next request.
    """

    def build() -> Flask:
        return share_test_transaction(
            make_app(REDIS_URL=own_redis.url, CACHE_REDIS_URL=own_redis.url, BLOCKLIST_RETRY_AFTER_SECONDS=0)
        )

    return build
