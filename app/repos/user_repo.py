"""Data access for users and their login sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from app.models import AuthSession, User
from app.models.user import Role
from app.repos.sql import escape_like
from app.utils.pagination import Page


class UserRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def find_by_email(self, email: str) -> User | None:
        return self.session.scalars(select(User).where(User.email == email)).one_or_none()

    def add(self, user: User) -> None:
        self.session.add(user)

    def list_page(
        self, *, page: int, per_page: int, q: str | None = None, role: str | None = None, is_active: bool | None = None
    ) -> Page[User]:
        """Users by id, filtered by a case-insensitive substring of email or name, role and active flag."""
        where = []
        if q:
            pattern = f"%{escape_like(q)}%"
            where.append(or_(User.email.ilike(pattern, escape="\\"), User.name.ilike(pattern, escape="\\")))
        if role is not None:
            where.append(User.role == role)
        if is_active is not None:
            where.append(User.is_active.is_(is_active))
        total = self.session.scalar(select(func.count()).select_from(User).where(*where)) or 0
        items = self.session.scalars(
            select(User).where(*where).order_by(User.id).limit(per_page).offset((page - 1) * per_page)
        ).all()
        return Page(items=list(items), page=page, per_page=per_page, total=total)

    def lock_active_admins(self) -> list[int]:
        """Lock every active admin row (FOR UPDATE) and return their ids.

        Two admins demoting each other at once: the second waits, then re-reads the rows and
        sees one admin left. READ COMMITTED re-evaluates the WHERE on rows it waited for.
        """
        rows = self.session.scalars(
            select(User.id).where(User.role == Role.ADMIN, User.is_active.is_(True)).order_by(User.id).with_for_update()
        )
        return list(rows)

    # Login sessions (one per login; revocation lives here).

    def get_with_session(self, user_id: int, session_id: str) -> tuple[User, AuthSession] | None:
        """The user and one of their login sessions, in one indexed query."""
        row = self.session.execute(
            select(User, AuthSession)
            .join(AuthSession, AuthSession.user_id == User.id)
            .where(AuthSession.id == session_id, User.id == user_id)
        ).one_or_none()
        return None if row is None else (row[0], row[1])

    def add_session(self, login: AuthSession) -> None:
        self.session.add(login)

    def rotate_refresh(self, session_id: str, *, old_jti: str, new_jti: str, expires_at: datetime) -> bool:
        """Swap the session's refresh jti if `old_jti` is still the current one; False if it is spent.

        One conditional UPDATE: of two concurrent refreshes with the same token, exactly one matches.
        """
        result = self.session.execute(
            update(AuthSession)
            .where(
                AuthSession.id == session_id,
                AuthSession.refresh_jti == old_jti,
                AuthSession.revoked_at.is_(None),
            )
            .values(refresh_jti=new_jti, expires_at=expires_at)
            .returning(AuthSession.id)
            .execution_options(synchronize_session=False)
        )
        return result.first() is not None

    def revoke_session(self, session_id: str, now: datetime) -> None:
        self.session.execute(
            update(AuthSession)
            .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )

    def revoke_sessions(self, user_id: int, now: datetime, *, keep: str | None = None) -> None:
        """Revoke every live session of the user, except `keep`."""
        statement = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        if keep is not None:
            statement = statement.where(AuthSession.id != keep)
        self.session.execute(statement.values(revoked_at=now).execution_options(synchronize_session=False))
