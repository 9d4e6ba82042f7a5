"""Logins: credentials to a session and its tokens, refresh rotation, logout."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.extensions import db
from app.models import AuthSession, User
from app.models.base import utcnow
from app.repos.user_repo import UserRepo
from app.security import tokens
from app.security.tokens import Lifetimes
from app.services.unit_of_work import UnitOfWork
from app.utils.exceptions import InvalidCredentials, RefreshTokenReused
from app.utils.passwords import Passwords, current_passwords


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


@dataclass(frozen=True, kw_only=True)
class Login(TokenPair):
    """A new login: its tokens and who logged in."""

    user: User


class AuthService:
    def __init__(
        self,
        session: Session | None = None,
        passwords: Passwords | None = None,
        lifetimes: Lifetimes | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.session = session or db.session()
        self.uow = UnitOfWork(self.session)
        self.users = UserRepo(self.session)
        self.passwords = passwords or current_passwords()
        self.lifetimes = lifetimes or tokens.lifetimes()
        self.clock = clock

    def login(self, *, email: str, password: str) -> Login:
        """Start a login session. Raises InvalidCredentials, the same for every reason.

        An unknown email is verified against a dummy hash, so it costs what a wrong password costs.
        """
        with self.uow:
            user = self.users.find_by_email(email)
            verified = self.passwords.verify(user.password_hash if user else None, password)
            if user is None or not verified or not user.is_active:
                raise InvalidCredentials("The email or password is incorrect.")
            if self.passwords.needs_rehash(user.password_hash):
                user.password_hash = self.passwords.hash(password)
            login = AuthSession(
                id=str(uuid.uuid4()),
                user_id=user.id,
                refresh_jti=str(uuid.uuid4()),
                expires_at=self.clock() + self.lifetimes.refresh,
            )
            self.users.add_session(login)
            self.uow.commit()
        pair = self._pair(user.id, login.id, login.refresh_jti, fresh=True)
        return Login(pair.access_token, pair.refresh_token, pair.expires_in, user=user)

    def refresh(self, *, user_id: int, session_id: str, jti: str) -> TokenPair:
        """Rotate the session's refresh token. Raises RefreshTokenReused (and revokes the session)
        when `jti` is not the current one: a spent token came back, so someone else may hold it.
        """
        new_jti = str(uuid.uuid4())
        expires_at = self.clock() + self.lifetimes.refresh
        with self.uow:
            rotated = self.users.rotate_refresh(session_id, old_jti=jti, new_jti=new_jti, expires_at=expires_at)
            if not rotated:
                self.users.revoke_session(session_id, self.clock())
            self.uow.commit()
        if not rotated:
            raise RefreshTokenReused("This refresh token was already used; the login has been revoked.")
        return self._pair(user_id, session_id, new_jti)

    def logout(self, *, session_id: str) -> None:
        """Revoke the login session: its access and refresh tokens stop working at once."""
        with self.uow:
            self.users.revoke_session(session_id, self.clock())
            self.uow.commit()

    def _pair(self, user_id: int, session_id: str, jti: str, *, fresh: bool = False) -> TokenPair:
        return TokenPair(
            access_token=tokens.access_token(user_id, session_id, fresh=fresh),
            refresh_token=tokens.refresh_token(user_id, session_id, jti),
            expires_in=int(self.lifetimes.access.total_seconds()),
        )
