"""The transaction boundary of every service method that writes.

    with UnitOfWork(session) as uow:
        ...                                      # statements through the repos
        uow.after_commit(lambda: keys.bump(keys.CATALOG))
        uow.commit()

Leaving the block without `commit()` (a domain error, a failed statement) rolls back, and the
registered after-commit actions are dropped. After a successful commit the actions run in the
order they were registered; they touch only Redis (cache generations, later blocklist entries and
stock values), so one that fails is logged and never turns the committed write into an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.utils.exceptions import AppError, Conflict

log = logging.getLogger(__name__)

AfterCommit = Callable[[], object]


class UnitOfWork:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._after_commit: list[AfterCommit] = []
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        self._after_commit = []
        self._committed = False
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if not self._committed:
            self.session.rollback()
        self._after_commit = []

    def after_commit(self, action: AfterCommit) -> None:
        """Run `action` once the commit has succeeded (never if the work rolls back)."""
        self._after_commit.append(action)

    def commit(self, constraints: Mapping[str, Callable[[], AppError]] | None = None) -> None:
        """Commit, then run the after-commit actions.

        `constraints` maps constraint names to the domain error their violation means; a violated
        constraint missing from it is a generic 409 (and logged: a mapping is missing).
        """
        with translate_constraints(constraints or {}):
            self.session.commit()
        self._committed = True
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            try:
                action()
            except Exception:  # the write is durable; what follows is best effort
                log.exception("after-commit action failed: %r", action)


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
def translate_constraints(mapping: Mapping[str, Callable[[], AppError]]) -> Iterator[None]:
    """Raise the mapped domain error when a named constraint is violated (the unit of work rolls back)."""
    try:
        yield
    except IntegrityError as error:
        name = constraint_name(error)
        if name is not None and name in mapping:
            raise mapping[name]() from error
        log.error("unmapped constraint violation: %s", name or error.orig)
        raise Conflict("The request conflicts with the current state of a resource.") from error
