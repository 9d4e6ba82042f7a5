"""Assertions and clean-up that several test modules share (data builders are in builders.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.engine import Engine

from app.models import Base

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


def truncate_all(connection: Connection) -> None:
    """Empty every table of the models, for tests that commit for real."""
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
