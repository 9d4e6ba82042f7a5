"""API tests start with the blocklist as a fresh rebuild of their (empty) database would leave it.

The root `redis_db` fixture empties Redis before each test, which leaves the blocklist without its
marker: the first authenticated request of every test would be checked in PostgreSQL and rebuild the
blocklist. Marking it ready keeps the tests here on the normal path (and statement counts exact);
tests/security exercises the lost-blocklist path.
"""

from __future__ import annotations

import time

import pytest
import redis
from flask import Flask


@pytest.fixture(autouse=True)
def blocklist_ready(app: Flask, redis_db: redis.Redis) -> None:
    redis_db.hset(app.config["BLOCKLIST_KEY"], "ready", repr(time.time()))
