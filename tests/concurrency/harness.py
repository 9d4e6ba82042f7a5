"""Helpers for race tests: committed data, threads released together, reads on the race app's engine.

The fixtures (`race_app`, `truncate_after`) are in conftest.py beside this file."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask

from app.extensions import db
from app.models import Product, User
from tests.builders import make_address, make_cart, make_user, start_session


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


def committed(race_app: Flask, build: Callable[[], Any]) -> Any:
    """Run `build` with the race app's session and commit what it made."""
    with race_app.app_context():
        result = build()
        db.session.commit()
        return result


def headers_for(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {start_session(db.session(), user).access}"}


def customer(user: User) -> tuple[int, dict[str, str]]:
    return user.id, headers_for(user)


def run_together(race_app: Flask, calls: list[Callable[[Any], Any]]) -> list[Reply]:
    """Run every call in its own thread with its own test client, all released at once."""
    barrier = threading.Barrier(len(calls))
    replies: list[Reply | None] = [None] * len(calls)
    errors: list[BaseException] = []

    def worker(index: int, call: Callable[[Any], Any]) -> None:
        client = race_app.test_client()
        try:
            barrier.wait(timeout=30)
            response = call(client)
            replies[index] = Reply(response.status_code, response.get_json(silent=True), dict(response.headers))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert all(reply is not None for reply in replies)
    return [reply for reply in replies if reply is not None]


def post_checkout(headers: dict[str, str], address_id: int, **body: Any) -> Callable[[Any], Any]:
    return lambda client: client.post(
        "/api/sales/checkout", json={"delivery_address_id": address_id, **body}, headers=headers
    )


def post_cancel(headers: dict[str, str], sale_id: int) -> Callable[[Any], Any]:
    return lambda client: client.post(f"/api/sales/{sale_id}/cancel", headers=headers)


def post_cart_item(headers: dict[str, str], product_id: int, quantity: int) -> Callable[[Any], Any]:
    return lambda client: client.post(
        "/api/sales/cart/items", json={"product_id": product_id, "quantity": quantity}, headers=headers
    )


def read(race_app: Flask, query: Any) -> Any:
    with race_app.app_context():
        try:
            return db.session.execute(query).all()
        finally:
            db.session.remove()


def buyers(race_app: Flask, count: int, carts: Callable[[int], dict[Product, int]]) -> list[tuple[dict[str, str], int]]:
    """`count` customers, each with an address and the cart `carts(i)`; returns (headers, address id)."""

    def build() -> list[tuple[dict[str, str], int]]:
        made = []
        for i in range(count):
            user = make_user(db.session())
            address = make_address(db.session(), user)
            make_cart(db.session(), user, carts(i))
            made.append((headers_for(user), address.id))
        return made

    return committed(race_app, build)  # type: ignore[no-any-return]
