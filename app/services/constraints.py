"""Turning constraint violations into domain errors, by constraint name."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.utils.exceptions import AppError, Conflict

log = logging.getLogger(__name__)


def constraint_name(error: IntegrityError) -> str | None:
    """The violated constraint's name (PostgreSQL reports it; SQLite only names columns)."""
    diag = getattr(error.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return str(name)
    message = str(error.orig)
    # SQLite: "UNIQUE constraint failed: users.email" / "CHECK constraint failed: stock_non_negative"
    if "UNIQUE constraint failed: " in message:
        columns = message.split("UNIQUE constraint failed: ", 1)[1].split(", ")
        table = columns[0].split(".")[0]
        return "uq_" + table + "_" + "_".join(c.split(".")[1] for c in columns)
    if "CHECK constraint failed: " in message:
        return message.split("CHECK constraint failed: ", 1)[1].strip()
    return None


@contextmanager
def translate_constraints(session: Session, mapping: Mapping[str, Callable[[], AppError]]) -> Iterator[None]:
    """Roll back and raise the mapped domain error when a named constraint is violated."""
    try:
        yield
    except IntegrityError as error:
        session.rollback()
        name = constraint_name(error)
        if name is not None and name in mapping:
            raise mapping[name]() from error
        log.error("unmapped constraint violation: %s", name or error.orig)
        raise Conflict("The request conflicts with the current state of a resource.") from error
