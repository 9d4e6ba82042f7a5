"""Two gunicorn instances over one PostgreSQL and one Redis behave as one service."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_address, make_product, make_user, start_session
from tests.faults.conftest import free_port
from tests.helpers import truncate_all

pytestmark = [pytest.mark.concurrency, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class Instance:
    base: str

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None


@pytest.fixture
def committed(app: Flask) -> Iterator[Session]:
    """A session that really commits, on the test database; every table is emptied afterwards."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    session = Session(engine)
    yield session
    session.close()
    with engine.begin() as connection:
        truncate_all(connection)
    engine.dispose()


@pytest.fixture
def instances(app: Flask, tmp_path: Path, committed: Session) -> Iterator[tuple[Instance, Instance]]:
    (tmp_path / "private.pem").write_text(app.config["JWT_PRIVATE_KEY"])
    (tmp_path / "public.pem").write_text(app.config["JWT_PUBLIC_KEY"])
    processes, bases = [], []
    for _ in range(2):
        port = free_port()
        env = {
            **os.environ,
            "APP_ENV": "production",
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": app.config["REDIS_URL"],
            "JWT_PRIVATE_KEY_PATH": str(tmp_path / "private.pem"),
            "JWT_PUBLIC_KEY_PATH": str(tmp_path / "public.pem"),
            "RATELIMIT_LOGIN": "4 per minute",
            "RATELIMIT_DEFAULT": "10000 per minute",
            "CACHE_KEY_PREFIX": app.config["CACHE_KEY_PREFIX"],
            "RATELIMIT_STORAGE_PREFIX": app.config["RATELIMIT_STORAGE_PREFIX"],
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base in bases:
            deadline = time.monotonic() + 30
            while not _up(base):
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        yield Instance(bases[0]), Instance(bases[1])
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)


def _up(base: str) -> bool:
    try:
        urllib.request.urlopen(base + "/api/health/live", timeout=1).close()
        return True
    except OSError:
        return False


def login(instance: Instance, email: str) -> dict[str, Any]:
    status, body = instance.call("POST", "/api/users/login", {"email": email, "password": PASSWORD})
    assert status == 200, body
    return body  # type: ignore[no-any-return]


def test_logout_on_one_instance_is_rejected_on_the_other(
    instances: tuple[Instance, Instance], committed: Session
) -> None:
    a, b = instances
    user = make_user(committed)
    committed.commit()
    tokens = login(a, user.email)
    assert b.call("GET", "/api/users/me", token=tokens["access_token"])[0] == 200
    assert b.call("POST", "/api/users/logout", token=tokens["access_token"])[0] in (200, 204)
    assert a.call("GET", "/api/users/me", token=tokens["access_token"])[0] == 401
    assert a.call("POST", "/api/users/refresh", token=tokens["refresh_token"])[0] == 401


def test_a_price_change_on_one_instance_is_seen_on_the_others_next_read(
    instances: tuple[Instance, Instance], committed: Session
) -> None:
    a, b = instances
    admin = make_user(committed, role="admin")
    product = make_product(committed, price="10.00")
    committed.commit()
    assert b.call("GET", f"/api/products/{product.id}")[1]["price"] == "10.00"  # now cached
    token = login(a, admin.email)["access_token"]
    assert a.call("PATCH", f"/api/products/{product.id}", {"price": "12.50"}, token=token)[0] == 200
    assert b.call("GET", f"/api/products/{product.id}")[1]["price"] == "12.50"


def test_login_rate_limit_counts_across_instances(instances: tuple[Instance, Instance], committed: Session) -> None:
    a, b = instances
    wrong = {"email": "nobody@example.com", "password": "wrong-password"}
    statuses = [inst.call("POST", "/api/users/login", wrong)[0] for inst in (a, b, a, b, a)]
    assert statuses[:4] == [401, 401, 401, 401]
    assert statuses[4] == 429


def test_concurrent_checkouts_split_across_instances_never_oversell(
    instances: tuple[Instance, Instance], committed: Session, app: Flask
) -> None:
    product = make_product(committed, stock=5, price="3.00")
    buyers = []
    for _ in range(12):
        user = make_user(committed)
        buyers.append((user, make_address(committed, user)))
    committed.commit()
    with app.app_context():  # tokens minted directly: a dozen logins would trip the login rate limit
        tokens = [start_session(committed, user).access for user, _ in buyers]
    committed.commit()
    for i, token in enumerate(tokens):
        status, _ = instances[i % 2].call(
            "POST", "/api/sales/cart/items", {"product_id": product.id, "quantity": 1}, token
        )
        assert status in (200, 201)

    barrier = threading.Barrier(len(buyers))
    results: list[int] = []

    def buy(i: int) -> None:
        barrier.wait()
        status, _ = instances[i % 2].call(
            "POST", "/api/sales/checkout", {"delivery_address_id": buyers[i][1].id}, tokens[i]
        )
        results.append(status)

    threads = [threading.Thread(target=buy, args=(i,)) for i in range(len(buyers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [201] * 5 + [409] * 7
    committed.expire_all()
    assert committed.execute(text("SELECT stock FROM products WHERE id = :id"), {"id": product.id}).scalar() == 0
    sold = committed.execute(
        text("SELECT coalesce(sum(quantity), 0) FROM sale_products WHERE product_id = :id"), {"id": product.id}
    ).scalar()
    assert sold == 5
