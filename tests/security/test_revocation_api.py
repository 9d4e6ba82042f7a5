"""Revocation holds, whatever happens to the Redis blocklist: every way a token is revoked, times every
way the blocklist can be lost, on two app instances (revoked on one, presented to the other)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.api.test_auth_api import assert_problem, bearer, claims_of
from tests.builders import PASSWORD, make_user
from tests.security.conftest import OwnRedis, counted_statements, redis_of

pytestmark = [pytest.mark.auth, pytest.mark.usefixtures("rate_limits_as_configured")]

NEW_PASSWORD = "a brand new passphrase"


@dataclass
class World:
    first: FlaskClient  # the instance where the token is revoked
    second: FlaskClient  # the instance the revoked token is presented to
    second_app: Flask
    db_session: Session
    own_redis: OwnRedis

    def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        response = self.first.post("/api/users/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body


@pytest.fixture
def world(on_own_redis: Callable[[], Flask], db_session: Session, own_redis: OwnRedis) -> World:
    first, second = on_own_redis(), on_own_redis()
    return World(first.test_client(), second.test_client(), second, db_session, own_redis)


# Ways to revoke: each returns the tokens that must stop working (access, refresh or None).


def logout(world: World) -> tuple[str, str | None]:
    user = make_user(world.db_session)
    world.db_session.flush()
    tokens = world.login(user.email)
    assert world.second.get("/api/users/me", headers=bearer(tokens["access_token"])).status_code == 200
    assert world.first.post("/api/users/logout", headers=bearer(tokens["access_token"])).status_code == 204
    return tokens["access_token"], tokens["refresh_token"]


def password_change(world: World) -> tuple[str, str | None]:
    user = make_user(world.db_session)
    world.db_session.flush()
    this, other = world.login(user.email), world.login(user.email)
    assert world.second.get("/api/users/me", headers=bearer(other["access_token"])).status_code == 200
    body = {"password": NEW_PASSWORD, "current_password": PASSWORD}
    assert world.first.patch("/api/users/me", json=body, headers=bearer(this["access_token"])).status_code == 200
    return other["access_token"], other["refresh_token"]


def deactivation(world: World) -> tuple[str, str | None]:
    user, admin = make_user(world.db_session), make_user(world.db_session, role="admin")
    world.db_session.flush()
    tokens, admin_tokens = world.login(user.email), world.login(admin.email)
    assert world.second.get("/api/users/me", headers=bearer(tokens["access_token"])).status_code == 200
    response = world.first.delete(f"/api/users/{user.id}", headers=bearer(admin_tokens["access_token"]))
    assert response.status_code == 204
    return tokens["access_token"], tokens["refresh_token"]


def role_change(world: World) -> tuple[str, str | None]:
    """A demoted admin: the old token must not reach admin endpoints (nor any other)."""
    demoted, admin = make_user(world.db_session, role="admin"), make_user(world.db_session, role="admin")
    world.db_session.flush()
    tokens, admin_tokens = world.login(demoted.email), world.login(admin.email)
    assert world.second.get("/api/users", headers=bearer(tokens["access_token"])).status_code == 200
    response = world.first.patch(
        f"/api/users/{demoted.id}", json={"role": "customer"}, headers=bearer(admin_tokens["access_token"])
    )
    assert response.status_code == 200
    return tokens["access_token"], None  # the refresh token stays valid: it gets the new role


def refresh_reuse(world: World) -> tuple[str, str | None]:
    user = make_user(world.db_session)
    world.db_session.flush()
    first = world.login(user.email)
    second = world.first.post("/api/users/refresh", headers=bearer(first["refresh_token"])).get_json()
    assert world.second.get("/api/users/me", headers=bearer(second["access_token"])).status_code == 200
    reused = world.first.post("/api/users/refresh", headers=bearer(first["refresh_token"]))
    assert_problem(reused, 401, "refresh_token_reused")
    return second["access_token"], second["refresh_token"]


# Ways to lose the blocklist.


def nothing_lost(world: World) -> None:
    """The control: the blocklist answers (and the refusal costs no SQL, checked below)."""


def flush(world: World) -> None:
    redis_of(world.own_redis).flushall()


def restart_empty(world: World) -> None:
    world.own_redis.kill()
    world.own_redis.start()


def outage(world: World) -> None:
    world.own_redis.kill()


def evict_the_blocklist_key(world: World) -> None:
    """The blocklist's key alone goes (as `allkeys-*` eviction can do); cached responses stay."""
    assert world.second.get("/api/products").status_code == 200  # something cached beside it
    client = redis_of(world.own_redis)
    keys = set(client.keys())
    client.delete(world.second_app.config["BLOCKLIST_KEY"])
    assert set(client.keys()) == keys - {world.second_app.config["BLOCKLIST_KEY"].encode()}
    assert len(keys) > 1


REVOCATIONS = [logout, password_change, deactivation, role_change, refresh_reuse]
LOSSES = [nothing_lost, flush, restart_empty, outage, evict_the_blocklist_key]


@pytest.mark.parametrize("lose", LOSSES, ids=[f.__name__ for f in LOSSES])
@pytest.mark.parametrize("revoke", REVOCATIONS, ids=[f.__name__ for f in REVOCATIONS])
def test_a_revoked_token_stays_refused_on_another_instance(
    world: World, revoke: Callable[[World], tuple[str, str | None]], lose: Callable[[World], None]
) -> None:
    survivor = make_user(world.db_session)
    world.db_session.flush()
    live = world.login(survivor.email)["access_token"]
    access, refresh = revoke(world)
    lose(world)

    with counted_statements(world.second_app) as statements:
        refused = world.second.get("/api/users/me", headers=bearer(access))
    assert_problem(refused, 401, "token_revoked")
    if lose is nothing_lost:
        assert statements == []  # answered by the blocklist alone
    if refresh is not None:
        assert world.second.post("/api/users/refresh", headers=bearer(refresh)).status_code == 401
    # Failing closed is not failing everyone: a live token still works (from PostgreSQL if need be).
    assert world.second.get("/api/users/me", headers=bearer(live)).status_code == 200

    if lose is outage:
        world.own_redis.start()
    # Redis back (or never gone): the blocklist is rebuilt and trusted again, and still refuses.
    assert world.second.get("/api/users/me", headers=bearer(live)).status_code == 200
    assert redis_of(world.own_redis).hget(world.second_app.config["BLOCKLIST_KEY"], "ready") is not None
    with counted_statements(world.second_app) as statements:
        assert_problem(world.second.get("/api/users/me", headers=bearer(access)), 401, "token_revoked")
    assert statements == []


def test_a_demoted_admins_old_token_is_refused_on_its_next_request_and_refresh_brings_the_new_role(
    world: World,
) -> None:
    demoted, admin = make_user(world.db_session, role="admin"), make_user(world.db_session, role="admin")
    world.db_session.flush()
    tokens, admin_tokens = world.login(demoted.email), world.login(admin.email)
    assert world.second.get("/api/users", headers=bearer(tokens["access_token"])).status_code == 200
    world.first.patch(
        f"/api/users/{demoted.id}", json={"role": "customer"}, headers=bearer(admin_tokens["access_token"])
    )
    assert_problem(world.second.get("/api/users", headers=bearer(tokens["access_token"])), 401, "token_revoked")
    renewed = world.second.post("/api/users/refresh", headers=bearer(tokens["refresh_token"])).get_json()
    assert claims_of(renewed["access_token"])["role"] == "customer"
    assert_problem(world.second.get("/api/users", headers=bearer(renewed["access_token"])), 403, "forbidden")
    assert world.second.get("/api/users/me", headers=bearer(renewed["access_token"])).status_code == 200


def test_a_deactivated_users_refresh_fails(world: World) -> None:
    user, admin = make_user(world.db_session), make_user(world.db_session, role="admin")
    world.db_session.flush()
    tokens, admin_tokens = world.login(user.email), world.login(admin.email)
    admin_headers = bearer(admin_tokens["access_token"])
    world.first.patch(f"/api/users/{user.id}", json={"is_active": False}, headers=admin_headers)
    refused = world.second.post("/api/users/refresh", headers=bearer(tokens["refresh_token"]))
    assert_problem(refused, 401, "token_revoked")


def test_while_redis_is_down_every_token_is_checked_in_postgresql(world: World) -> None:
    user = make_user(world.db_session)
    world.db_session.flush()
    tokens = world.login(user.email)
    world.own_redis.kill()
    started = time.monotonic()
    with counted_statements(world.second_app) as statements:
        assert world.second.get("/api/users/me", headers=bearer(tokens["access_token"])).status_code == 200
    assert time.monotonic() - started < 2.0  # a dead Redis costs a short timeout, not a hung worker
    assert any("auth_sessions" in statement for statement in statements)
