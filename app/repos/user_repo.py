"""Data access for users and their login sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.models import AuthSession, DeviceToken, User
from app.models.base import utcnow
from app.models.user import Role
from app.repos.sql import escape_like, is_postgresql
from app.utils.pagination import Page


@dataclass(frozen=True)
class TokenBasis:
    """What new tokens of a user carry, read under a share lock, and when it was read (the database's clock)."""

    role: str
    is_active: bool
    read_at: datetime


class UserRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def get_for_update(self, user_id: int) -> User | None:
        """The user's row, locked (FOR UPDATE) and re-read."""
        return self.session.scalars(
            select(User).where(User.id == user_id).with_for_update().execution_options(populate_existing=True)
        ).one_or_none()

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

    def token_basis(self, user_id: int) -> TokenBasis | None:
        """The user's role and active flag under a share lock (FOR SHARE), and the database's time after it.

        A role change locks the row FOR UPDATE before it stamps `tokens_valid_after` (void_tokens),
        so a token minted from this basis is stamped before that change if and only if it carries the
        role from before it: one clock (the database's) and the row lock order them, whatever the
        app servers' clocks say.
        """
        row = self.session.execute(
            select(User.role, User.is_active).where(User.id == user_id).with_for_update(read=True)
        ).one_or_none()
        if row is None:
            return None
        return TokenBasis(role=row.role, is_active=row.is_active, read_at=self._database_now())

    def void_tokens(self, user: User) -> datetime:
        """Stamp `tokens_valid_after` with the database's time: the user's tokens issued before it are void.

        Call with the row locked (get_for_update), so the stamp is taken after every concurrent
        token_basis read that saw the old row.
        """
        voided_at: datetime | None
        if is_postgresql(self.session):
            voided_at = self.session.execute(
                update(User)
                .where(User.id == user.id)
                .values(tokens_valid_after=func.clock_timestamp())
                .returning(User.tokens_valid_after)
                .execution_options(synchronize_session=False)
            ).scalar_one()
        else:
            voided_at = utcnow()
            self.session.execute(
                update(User)
                .where(User.id == user.id)
                .values(tokens_valid_after=voided_at)
                .execution_options(synchronize_session=False)
            )
        assert voided_at is not None
        set_committed_value(user, "tokens_valid_after", voided_at)
        return voided_at

    def voided_since(self, since: datetime) -> list[tuple[int, datetime]]:
        """(user id, tokens_valid_after) of the users whose tokens were voided at or after `since`."""
        rows = self.session.execute(
            select(User.id, User.tokens_valid_after).where(User.tokens_valid_after >= since)
        ).all()
        return [(row[0], row[1]) for row in rows if row[1] is not None]

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

    def revoke_sessions(self, user_id: int, now: datetime, *, keep: str | None = None) -> list[str]:
        """Revoke every live session of the user, except `keep`; returns the ids revoked."""
        statement = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        if keep is not None:
            statement = statement.where(AuthSession.id != keep)
        revoked = self.session.scalars(
            statement.values(revoked_at=now).returning(AuthSession.id).execution_options(synchronize_session=False)
        )
        return list(revoked)

    def revoked_since(self, since: datetime) -> list[tuple[str, datetime]]:
        """(session id, revoked_at) of the sessions revoked at or after `since`."""
        rows = self.session.execute(
            select(AuthSession.id, AuthSession.revoked_at).where(AuthSession.revoked_at >= since)
        ).all()
        return [(row[0], row[1]) for row in rows if row[1] is not None]

    # Device tokens (the login rate limit's "known device" exemption).

    def find_device(self, token_hash: str) -> DeviceToken | None:
        return self.session.scalars(select(DeviceToken).where(DeviceToken.token_hash == token_hash)).one_or_none()

    def add_device(self, device: DeviceToken, *, keep: int) -> None:
        """Store a new device token; of the user's tokens, the `keep` newest stay and expired ones go."""
        self.session.add(device)
        self.session.flush()
        newest = (
            select(DeviceToken.id)
            .where(DeviceToken.user_id == device.user_id)
            .order_by(DeviceToken.id.desc())
            .limit(keep)
            .scalar_subquery()
        )
        self.session.execute(
            delete(DeviceToken)
            .where(
                DeviceToken.user_id == device.user_id,
                or_(DeviceToken.expires_at <= device.created_at, DeviceToken.id.not_in(newest)),
            )
            .execution_options(synchronize_session=False)
        )

    def delete_devices(self, user_id: int) -> None:
        self.session.execute(
            delete(DeviceToken).where(DeviceToken.user_id == user_id).execution_options(synchronize_session=False)
        )

    def _database_now(self) -> datetime:
        """The database's current time (PostgreSQL's clock_timestamp(); elsewhere the app's clock)."""
        if is_postgresql(self.session):
            now: datetime = self.session.execute(select(func.clock_timestamp())).scalar_one()
            return now
        return utcnow()
