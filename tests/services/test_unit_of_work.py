"""The unit of work: rollback unless committed, after-commit actions only after a commit that succeeded."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cache import keys
from app.models import Product, User
from app.services.unit_of_work import UnitOfWork
from app.utils.exceptions import DuplicateSku
from tests.builders import make_product, make_user

pytestmark = pytest.mark.cache

PRODUCT = {"sku": "UOW-1", "name": "Unit of work mug", "price": "5.00", "stock": 3}


def catalog_generation(app: Flask, redis_db: redis.Redis) -> bytes | None:
    value: bytes | None = redis_db.get(app.config["CACHE_KEY_PREFIX"] + "g:" + keys.CATALOG)
    return value


def test_leaving_without_commit_rolls_back_and_drops_the_actions(db_session: Session) -> None:
    ran: list[str] = []
    with pytest.raises(DuplicateSku), UnitOfWork(db_session) as uow:
        db_session.add(Product(sku="UOW-RB", name="Never stored", price=1, stock=1))
        db_session.flush()
        uow.after_commit(lambda: ran.append("bump"))
        raise DuplicateSku("a domain error half-way through")

    assert ran == []
    assert db_session.scalar(select(func.count()).select_from(Product).where(Product.sku == "UOW-RB")) == 0


def test_actions_run_after_the_commit_in_order(db_session: Session) -> None:
    ran: list[str] = []
    with UnitOfWork(db_session) as uow:
        uow.after_commit(lambda: ran.append("first"))
        uow.after_commit(lambda: ran.append("second"))
        assert ran == []
        uow.commit()
    assert ran == ["first", "second"]


def test_a_failing_action_does_not_undo_or_fail_the_commit(db_session: Session) -> None:
    ran: list[str] = []

    def redis_is_down() -> None:
        raise redis.ConnectionError("Connection refused")

    with UnitOfWork(db_session) as uow:
        db_session.add(Product(sku="UOW-OK", name="Stored", price=1, stock=1))
        uow.after_commit(redis_is_down)
        uow.after_commit(lambda: ran.append("still runs"))
        uow.commit()

    assert ran == ["still runs"]
    assert db_session.scalar(select(func.count()).select_from(Product).where(Product.sku == "UOW-OK")) == 1


def test_a_rejected_write_does_not_bump_the_catalog(
    app: Flask,
    client: FlaskClient,
    db_session: Session,
    auth_headers: Callable[[User], dict[str, str]],
    redis_db: redis.Redis,
) -> None:
    headers = auth_headers(make_user(db_session, role="admin"))
    make_product(db_session, sku=PRODUCT["sku"])
    client.get("/api/products")  # the catalog generation exists from the first read on
    before = catalog_generation(app, redis_db)

    response = client.post("/api/products", json=PRODUCT, headers=headers)

    assert response.status_code == 409
    assert response.get_json()["code"] == "duplicate_sku"
    assert catalog_generation(app, redis_db) == before


def test_a_committed_write_answers_2xx_when_its_after_commit_action_fails(
    client: FlaskClient,
    db_session: Session,
    auth_headers: Callable[[User], dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = auth_headers(make_user(db_session, role="admin"))

    def bump_without_redis(*_families: str) -> None:
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(keys, "bump", bump_without_redis)
    response = client.post("/api/products", json=PRODUCT, headers=headers)

    assert response.status_code == 201, response.get_json()
    assert client.get(f"/api/products/{response.get_json()['id']}").status_code == 200
