"""Fixtures: a migrated PostgreSQL database and a Redis key namespace of this run's own, per-test rollback.

How a test, its data and its requests relate (each request has a session of its own, as in production):

- `connection` holds the test's outer transaction, rolled back at teardown. The app's engine entry points
  at it, so every session the app opens joins it with a SAVEPOINT and may commit or roll back freely.
- `db_session` is the test's own session on that connection, for builders and assertions. Builders flush,
  so requests see their rows, and a request's rollback undoes only its own SAVEPOINT.
- `client` sends each request outside any app context of the test, so the request gets a fresh app context
  and session. Before reading back an object `db_session` already holds, call `db_session.expire_all()`.
- Non-request work that needs the app (minting tokens, calling a service) pushes an app context just around
  that work (`auth_tokens`, `auth_headers`), or the test asks for `app_context` and sends no requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, current_app, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app import create_app
from app.config import TestingConfig
from app.extensions import db
from app.models import User
from tests.builders import TokenPair, start_session
from tests.helpers import truncate_all
from tests.isolation import RunRedis, TestRun

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def rsa_keys() -> dict[str, str]:
    """A throwaway RS256 key pair for the whole run (2048-bit: fast to make)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return {"JWT_PRIVATE_KEY": private, "JWT_PUBLIC_KEY": public}


class RequestScopedClient(FlaskClient):
    """A test client that refuses to send a request from inside an app context of its own app.

    Flask would run the request in that context and so reuse its session: one identity map across
    requests, and an error response's rollback taking the caller's work with it. Production never
    does that, so neither do the tests.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context() and current_app._get_current_object() is self.application:  # type: ignore[attr-defined]
            raise RuntimeError("a request sent inside the test's app context would share its session")
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def test_run() -> Iterator[TestRun]:
    """This run's own database (created now, dropped at the end) and Redis key namespace."""
    run = TestRun.start()
    yield run
    run.finish()


@pytest.fixture(scope="session")
def make_app(rsa_keys: dict[str, str], test_run: TestRun) -> Callable[..., Flask]:
    """Build another app on this run's database and Redis namespace, with `overrides` applied."""

    def build(**overrides: object) -> Flask:
        app = create_app(TestingConfig(test_run.config_environ()), **rsa_keys, **overrides)
        app.test_client_class = RequestScopedClient
        return app

    return build


@pytest.fixture(scope="session")
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    app = make_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture(autouse=True)
def redis_db(app: Flask, test_run: TestRun) -> Iterator[RunRedis]:
    """The test Redis, with this run's keys (and only those) deleted before each test."""
    client = test_run.redis()
    client.delete_run_keys()
    yield client
    client.close()


@pytest.fixture
def connection(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Connection]:
    """The test's connection and outer transaction; every session of the app joins it with a SAVEPOINT.

    Flask-SQLAlchemy 3.x picks the bind from `db.engines` and ignores a session-level `bind`, so the
    engine entry is replaced, not the session configured (STYLE-ANCHORS.md, section 3).
    """
    with app.app_context():
        engines = db.engines  # the app's own dict: the same object outside the context
    connection = engines[None].connect()
    outer = connection.begin()
    monkeypatch.setitem(engines, None, connection)
    monkeypatch.setitem(db.session.session_factory.kw, "join_transaction_mode", "create_savepoint")
    yield connection
    outer.rollback()
    connection.close()


@pytest.fixture
def db_session(connection: Connection) -> Iterator[Session]:
    """The test's own session, for builders and assertions; requests never use it."""
    with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as session:
        yield session


@pytest.fixture
def client(app: Flask, connection: Connection) -> FlaskClient:
    """Each request runs in a fresh app context with its own session, on the test's connection."""
    return app.test_client()


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    """An app context for the whole test, for tests that call services or app helpers directly.

    Not for tests that send requests: the client refuses to run one inside it (see RequestScopedClient).
    """
    with app.app_context():
        yield


@pytest.fixture
def auth_tokens(app: Flask, db_session: Session) -> Callable[[User], TokenPair]:
    """A login session for `user` and its tokens, minted directly (no login round trip)."""

    def mint(user: User) -> TokenPair:
        with app.app_context():  # signing needs the app's keys; no request runs in here
            return start_session(db_session, user)

    return mint


@pytest.fixture
def auth_headers(auth_tokens: Callable[[User], TokenPair]) -> Callable[[User], dict[str, str]]:
    """Headers with a fresh access token for `user` (minted directly, no login round trip)."""

    def headers(user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {auth_tokens(user).access}"}

    return headers


@pytest.fixture
def rate_limits_as_configured(app: Flask) -> Iterator[None]:
    """Rate limits as the testing config says (off), before and after the test.

    Flask-Limiter's `limiter` is one object for every app in the process: the last `init_app` with
    limits on switches them on for all apps (and sets the storage), so an app built by an earlier
    test (e.g. the embedded one) could rate-limit this test's requests, and a test that builds a
    rate-limited app must not leave limits on for the tests after it. Use it with
    `pytestmark = pytest.mark.usefixtures("rate_limits_as_configured")`.
    """
    from app.extensions import limiter

    limiter.enabled = app.config["RATELIMIT_ENABLED"]
    yield
    limiter.enabled = app.config["RATELIMIT_ENABLED"]


@pytest.fixture
def share_test_transaction(connection: Connection, monkeypatch: pytest.MonkeyPatch) -> Callable[[Flask], Flask]:
    """Point another app (from `make_app`) at this test's connection, so its writes roll back with the test."""

    def bind(other: Flask) -> Flask:
        with other.app_context():
            engines = db.engines
        monkeypatch.setitem(engines, None, connection)
        return other

    return bind


@pytest.fixture
def committing_app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """An app on its own engine and pool (no shared test transaction) that commits for real; tables emptied after."""
    app = make_app()
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            truncate_all(connection)
        db.engine.dispose()
