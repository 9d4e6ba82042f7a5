"""Health of the backing services: is the database there, and the cache?"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.cache import store
from app.extensions import db
from app.repos.system_repo import SystemRepo
from app.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Health:
    database: str  # "ok" or "error"
    cache: str  # "ok", "error" or "disabled"

    @property
    def status(self) -> str:
        """ "ok" when everything answers, "degraded" otherwise (a disabled cache is not a fault)."""
        return "ok" if self.database == "ok" and self.cache != "error" else "degraded"

    @property
    def database_ok(self) -> bool:
        return self.database == "ok"


class HealthService:
    def __init__(self, session: Session | None = None) -> None:
        self.session = session or db.session()
        self.uow = UnitOfWork(self.session)  # read-only: always rolled back, so a failed probe leaves no state
        self.system = SystemRepo(self.session)

    def check(self) -> Health:
        """Ask the database and the cache, for real."""
        return Health(database="ok" if self.database_ok() else "error", cache=store.status())

    def database_ok(self) -> bool:
        """True when a trivial query answers."""
        try:
            with self.uow:
                self.system.ping()
        except SQLAlchemyError as exc:
            log.warning("health: database check failed: %s", type(exc).__name__)
            return False
        return True

    def migration_revision(self) -> str | None:
        """The schema revision the database is at, or None before the first migration."""
        try:
            with self.uow:
                return self.system.migration_revision()
        except SQLAlchemyError:
            return None
