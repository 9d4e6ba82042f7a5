"""Purging expired idempotency keys: only those past their TTL, in bounded batches, never waiting on a checkout."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.orm import Session

from app.models import IdempotencyKey, Sale, User
from app.models.base import utcnow
from app.services.idempotency_service import IdempotencyKeyService
from tests.builders import SHOP, make_address, make_cart, make_product, make_user

pytestmark = pytest.mark.sales
TTL = timedelta(hours=24)


def make_key(session: Session, user: User, *, age: timedelta) -> IdempotencyKey:
    key = IdempotencyKey(user_id=user.id, key=uuid.uuid4().hex, request_hash="0" * 64, created_at=utcnow() - age)
    session.add(key)
    session.flush()
    return key


def keys_left(session: Session) -> set[int]:
    session.expire_all()
    return set(session.scalars(select(IdempotencyKey.id)))


def test_only_keys_past_their_ttl_are_purged(db_session: Session) -> None:
    user = make_user(db_session)
    old = [make_key(db_session, user, age=TTL + timedelta(minutes=m)) for m in (1, 60, 60 * 24 * 30)]
    young = [make_key(db_session, user, age=age) for age in (timedelta(0), TTL - timedelta(minutes=1))]

    purged = IdempotencyKeyService(SHOP, db_session).purge_expired(batch_size=1000)

    assert purged == len(old)
    assert keys_left(db_session) == {key.id for key in young}


def test_the_purge_runs_in_bounded_batches_each_its_own_transaction(db_session: Session) -> None:
    user = make_user(db_session)
    for minute in range(25):
        make_key(db_session, user, age=TTL + timedelta(minutes=minute + 1))
    deletes: list[int] = []
    commits: list[int] = []

    def on_execute(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(len(deletes))

    connection = db_session.connection()
    event.listen(connection, "before_cursor_execute", on_execute)
    event.listen(db_session, "after_commit", lambda _session: commits.append(len(deletes)))
    try:
        purged = IdempotencyKeyService(SHOP, db_session).purge_expired(batch_size=10)
    finally:
        event.remove(connection, "before_cursor_execute", on_execute)
    assert purged == 25
    assert len(deletes) == 3  # 10 + 10 + 5
    assert commits == [1, 2, 3]  # a commit after every batch
    assert keys_left(db_session) == set()


def test_purging_a_key_keeps_its_sale(
    client: FlaskClient, db_session: Session, auth_headers: Callable[[User], dict[str, str]]
) -> None:
    user = make_user(db_session)
    make_cart(db_session, user, {make_product(db_session): 1})
    address = make_address(db_session, user)
    headers = {**auth_headers(user), "Idempotency-Key": "k"}
    sale = client.post("/api/sales/checkout", json={"delivery_address_id": address.id}, headers=headers).get_json()
    later = utcnow() + TTL + timedelta(minutes=1)
    assert IdempotencyKeyService(SHOP, db_session, clock=lambda: later).purge_expired(batch_size=10) == 1
    db_session.expire_all()
    assert db_session.get(Sale, sale["id"]) is not None


def test_the_cli_command_purges_with_the_configured_ttl(app: Flask, db_session: Session) -> None:
    user = make_user(db_session)
    make_key(db_session, user, age=timedelta(hours=25))
    make_key(db_session, user, age=timedelta(hours=23))
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["purge-idempotency-keys", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert "Purged 1 idempotency keys older than 24 h." in result.output
    assert len(keys_left(db_session)) == 1


# --- while the app serves (real commits on two connections) -------------------------------------


@pytest.fixture
def committed(app: Flask) -> Iterator[Session]:
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    session = Session(engine, expire_on_commit=False)
    yield session
    session.close()
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE idempotency_keys, users RESTART IDENTITY CASCADE"))
    engine.dispose()


def test_a_key_a_checkout_holds_is_skipped_not_waited_for(app: Flask, committed: Session) -> None:
    user = make_user(committed)
    held = make_key(committed, user, age=TTL * 2)
    free = make_key(committed, user, age=TTL * 2)
    committed.commit()

    locker = Session(committed.get_bind())
    locked = threading.Event()
    release = threading.Event()

    def hold() -> None:  # as a checkout taking over the expired key does, until it commits
        locker.execute(select(IdempotencyKey.id).where(IdempotencyKey.id == held.id).with_for_update())
        locked.set()
        release.wait(10)
        locker.rollback()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        purger = Session(committed.get_bind())
        started = time.monotonic()
        purged = IdempotencyKeyService(SHOP, purger).purge_expired(batch_size=10)
        elapsed = time.monotonic() - started
        purger.close()
    finally:
        release.set()
        holder.join(10)
        locker.close()
    assert (purged, elapsed < 2) == (1, True)  # the free key, at once
    assert set(committed.scalars(select(IdempotencyKey.id))) == {held.id}  # the next run takes it
    assert free.id != held.id
