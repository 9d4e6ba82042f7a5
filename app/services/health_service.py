"""Health checks of the backing services."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.extensions import db

log = logging.getLogger(__name__)


class HealthService:
    def __init__(self, session: Session | None = None) -> None:
        self.session = session or db.session()

    def database_ok(self) -> bool:
        """True when a trivial query answers."""
        try:
            self.session.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            log.warning("health: database check failed: %s", type(exc).__name__)
            self.session.rollback()
            return False
        return True

    def migration_revision(self) -> str | None:
        """The schema revision the database is at, or None before the first migration."""
        try:
            return self.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError:
            self.session.rollback()
            return None
