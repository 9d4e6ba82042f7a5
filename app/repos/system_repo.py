"""Statements about the database itself: is it there, which schema revision is it at."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.models import Base


class SystemRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def ping(self) -> None:
        """A trivial query; raises when the database does not answer."""
        self.session.execute(text("SELECT 1"))

    def migration_revision(self) -> str | None:
        """The Alembic revision the schema is at (raises before the first migration)."""
        return self.session.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def drop_all_tables(self) -> None:
        """Drop every table, alembic_version included (development resets only)."""
        engine = self.session.get_bind().engine
        self.session.close()  # it must hold no lock on what is dropped
        Base.metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
