"""SQL helpers every repo shares."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def is_postgresql(session: Session) -> bool:
    """Whether the session's database is PostgreSQL (else the embedded SQLite): where one statement can do
    what SQLite needs two for (data-modifying CTEs, arrays)."""
    return session.get_bind().dialect.name == "postgresql"


def dialect_insert(session: Session, table: Any) -> Any:
    """INSERT with ON CONFLICT support for the session's database (PostgreSQL or SQLite)."""
    if is_postgresql(session):
        return postgresql.insert(table)
    return sqlite.insert(table)


def escape_like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern (with escape="\\\\")."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def table_of(model: Any) -> Table:
    """A mapped class's Core table, for statements built once at import (no ORM work per execution)."""
    return cast(Table, model.__table__)
