"""Assertions and clean-up that several test modules share (data builders are in builders.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.models import Base, Product, User
from tests.builders import make_address, make_cart, make_user

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem document with this status and code; returns its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status
    assert body["code"] == code
    assert {"type", "title", "detail"} <= body.keys()
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def page_ids(response: Any) -> list[int]:
    """The ids of the items of a page response, in order."""
    return [item["id"] for item in response.get_json()["items"]]


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


# Each request's session joins the test's transaction with a SAVEPOINT. In production the same request opens a
# plain transaction, which the driver begins and ends without a statement of its own, so these are not counted.
_TEST_TRANSACTION = re.compile(r"(RELEASE |ROLLBACK TO )?SAVEPOINT ")


@contextmanager
def count_statements() -> Iterator[StatementCounter]:
    """Every SQL statement any engine sends while the block runs, as production would send them."""
    counter = StatementCounter()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not _TEST_TRANSACTION.match(statement):
            counter.statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield counter
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def buy(
    client: FlaskClient,
    session: Session,
    auth_headers: Callable[[User], dict[str, str]],
    product: Product,
    qty: int,
) -> Any:
    """A new buyer checks out `qty` of `product` through the API; the sale as answered. The test's session
    forgets what it held of the rows the checkout changed."""
    buyer = make_user(session)
    address = make_address(session, buyer)
    make_cart(session, buyer, {product: qty})
    response = client.post("/api/sales/checkout", json={"delivery_address_id": address.id}, headers=auth_headers(buyer))
    assert response.status_code == 201, response.get_json()
    session.expire_all()
    return response.get_json()


def truncate_all(connection: Connection) -> None:
    """Empty every table of the models, for tests that commit for real."""
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
