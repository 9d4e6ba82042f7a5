"""Fixtures: a migrated PostgreSQL database and a Redis key namespace of this run's own, per-test rollback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy.orm import Session

from app import create_app
from app.config import TestingConfig
from app.extensions import db
from app.models import User
from tests.builders import keep_setup, start_session
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
        return create_app(TestingConfig(test_run.config_environ()), **rsa_keys, **overrides)

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
def db_session(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """Each test runs in an outer transaction that the app's own commits cannot escape."""
    with app.app_context():
        connection = db.engines[None].connect()
        outer = connection.begin()
        monkeypatch.setitem(db.engines, None, connection)
        db.session.remove()
        db.session.configure(join_transaction_mode="create_savepoint")
        yield db.session()
        db.session.remove()
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app: Flask, db_session: Session) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth_headers(app: Flask, db_session: Session) -> Callable[[User], dict[str, str]]:
    """Headers with a fresh access token for `user` (minted directly, no login round trip)."""

    def headers(user: User) -> dict[str, str]:
        tokens = start_session(db_session, user)
        return {"Authorization": f"Bearer {tokens.access}"}

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
def share_test_transaction(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> Callable[[Flask], Flask]:
    """Bind another app (from `make_app`) to this test's connection and outer transaction."""
    connection = db.engines[None]

    def bind(other: Flask) -> Flask:
        with other.app_context():
            monkeypatch.setitem(db.engines, None, connection)
        return other

    return bind


@pytest.fixture
def login(db_session: Session, auth_headers: Callable[[User], dict[str, str]]) -> Callable[[User], dict[str, str]]:
    """Like auth_headers, and first keeps what the test built (committed to the outer transaction),
    so a request that rolls back its own work cannot take the test's data with it."""

    def headers(user: User) -> dict[str, str]:
        minted = auth_headers(user)
        keep_setup(db_session)
        return minted

    return headers
