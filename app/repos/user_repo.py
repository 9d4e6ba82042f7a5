"""Data access for users and their login sessions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuthSession, User


class UserRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def find_by_email(self, email: str) -> User | None:
        return self.session.scalars(select(User).where(User.email == email)).one_or_none()

    def add(self, user: User) -> None:
        self.session.add(user)

    def get_with_session(self, user_id: int, session_id: str) -> tuple[User, AuthSession] | None:
        """The user and one of their login sessions, in one indexed query."""
        row = self.session.execute(
            select(User, AuthSession)
            .join(AuthSession, AuthSession.user_id == User.id)
            .where(AuthSession.id == session_id, User.id == user_id)
        ).one_or_none()
        return None if row is None else (row[0], row[1])
