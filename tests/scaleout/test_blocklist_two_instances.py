"""Two gunicorn instances share revocations through the Redis blocklist, and keep them across a flush."""

from __future__ import annotations

import pytest
import redis
from flask import Flask
from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.scaleout.conftest import Instance, login

pytestmark = [pytest.mark.concurrency, pytest.mark.slow]


def lose_every_key(app: Flask) -> None:
    """What FLUSHDB does to these instances: every key of theirs (cache, blocklist) gone, and only theirs."""
    client = redis.Redis.from_url(app.config["REDIS_URL"])
    keys = list(client.scan_iter(match=app.config["CACHE_KEY_PREFIX"] + "*", count=1000))
    assert app.config["BLOCKLIST_KEY"].encode() in keys
    client.delete(*keys)
    client.close()


def test_a_logout_and_a_demotion_on_one_instance_hold_on_the_other_across_a_redis_flush(
    instances: tuple[Instance, Instance], committed: Session, app: Flask
) -> None:
    a, b = instances
    user, demoted, boss = make_user(committed), make_user(committed, role="admin"), make_user(committed, role="admin")
    committed.commit()
    user_tokens, demoted_tokens, boss_tokens = login(a, user.email), login(a, demoted.email), login(b, boss.email)
    assert b.call("GET", "/api/users/me", token=user_tokens["access_token"])[0] == 200
    assert b.call("GET", "/api/users", token=demoted_tokens["access_token"])[0] == 200

    assert a.call("POST", "/api/users/logout", token=user_tokens["access_token"])[0] == 204
    patch = a.call("PATCH", f"/api/users/{demoted.id}", {"role": "customer"}, token=boss_tokens["access_token"])
    assert patch[0] == 200
    for instance in (b, a):
        assert instance.call("GET", "/api/users/me", token=user_tokens["access_token"])[1]["code"] == "token_revoked"
        assert instance.call("GET", "/api/users", token=demoted_tokens["access_token"])[0] == 401

    lose_every_key(app)
    for instance in (b, a, b):
        assert instance.call("GET", "/api/users/me", token=user_tokens["access_token"])[0] == 401
        assert instance.call("GET", "/api/users", token=demoted_tokens["access_token"])[0] == 401
        assert instance.call("GET", "/api/users", token=boss_tokens["access_token"])[0] == 200
    assert b.call("POST", "/api/users/refresh", token=user_tokens["refresh_token"])[0] == 401
    status, renewed = b.call("POST", "/api/users/refresh", token=demoted_tokens["refresh_token"])
    assert status == 200
    assert a.call("GET", "/api/users", token=renewed["access_token"])[0] == 403
