"""Logins: credentials to a session and its tokens, device tokens, refresh rotation, logout."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.extensions import db
from app.models import AuthSession, DeviceToken, User
from app.models.base import utcnow
from app.repos.user_repo import TokenBasis, UserRepo
from app.security import tokens
from app.security.blocklist import Blocklist, current_blocklist
from app.security.login_limits import LoginLimits, current_login_limits
from app.security.tokens import Lifetimes
from app.services.unit_of_work import UnitOfWork
from app.utils.exceptions import InvalidCredentials, RefreshTokenReused, TokenRevoked
from app.utils.passwords import Passwords, current_passwords

# Device tokens a user keeps (the newest); older ones are dropped when a new one is handed out.
DEVICE_TOKENS_KEPT = 10


def device_token_hash(token: str) -> str:
    """What is stored of a device token. 256 random bits need no slow hash: nothing to brute-force."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


@dataclass(frozen=True, kw_only=True)
class Login(TokenPair):
    """A new login: its tokens, who logged in, and the device token to send with the next login."""

    user: User
    device_token: str


class AuthService:
    def __init__(
        self,
        session: Session | None = None,
        passwords: Passwords | None = None,
        lifetimes: Lifetimes | None = None,
        clock: Callable[[], datetime] = utcnow,
        blocklist: Blocklist | None = None,
        limits: LoginLimits | None = None,
    ) -> None:
        self.session = session or db.session()
        self.uow = UnitOfWork(self.session)
        self.users = UserRepo(self.session)
        self.passwords = passwords or current_passwords()
        self.lifetimes = lifetimes or tokens.lifetimes()
        self.clock = clock
        self.blocklist = blocklist or current_blocklist()
        self.limits = limits or current_login_limits()

    def login(self, *, email: str, password: str, device_token: str | None = None) -> Login:
        """Start a login session. Raises InvalidCredentials, the same for every reason, and RateLimited.

        Failed attempts count against the account's limit, or, when `device_token` is a live token of
        this account, against that token's own limit only (so strangers cannot lock the owner out).
        An unknown email is verified against a dummy hash, so it costs what a wrong password costs.
        """
        now = self.clock()
        with self.uow:
            user = self.users.find_by_email(email)
            device = self._known_device(user, device_token, now)
            failures = self.limits.device(device.id) if device is not None else self.limits.account(email)
            failures.check()
            verified = self.passwords.verify(user.password_hash if user else None, password)
            if user is None or not verified or not user.is_active:
                failures.failed()
                raise InvalidCredentials("The email or password is incorrect.")
            if self.passwords.needs_rehash(user.password_hash):
                user.password_hash = self.passwords.hash(password)
            basis = self.users.token_basis(user.id)
            if basis is None or not basis.is_active:  # deactivated since it was read
                raise InvalidCredentials("The email or password is incorrect.")
            login = AuthSession(
                id=str(uuid.uuid4()),
                user_id=user.id,
                refresh_jti=str(uuid.uuid4()),
                expires_at=now + self.lifetimes.refresh,
            )
            self.users.add_session(login)
            if device is not None and device_token is not None:
                device.last_used_at = now
                issued_device_token = device_token
            else:
                issued_device_token = self._new_device(user.id, now)
            self.uow.commit()
        pair = self._pair(user.id, login.id, login.refresh_jti, basis, fresh=True)
        return Login(
            pair.access_token, pair.refresh_token, pair.expires_in, user=user, device_token=issued_device_token
        )

    def refresh(self, *, user_id: int, session_id: str, jti: str) -> TokenPair:
        """Rotate the session's refresh token; the new access token carries the user's current role.

        Raises RefreshTokenReused (and revokes the session) when `jti` is not the current one: a
        spent token came back, so someone else may hold it. Raises TokenRevoked for a user
        deactivated meanwhile.
        """
        new_jti = str(uuid.uuid4())
        now = self.clock()
        with self.uow:
            # The user's row first (share lock), as a role change does: no lock-order cycle with it.
            basis = self.users.token_basis(user_id)
            rotated = self.users.rotate_refresh(
                session_id, old_jti=jti, new_jti=new_jti, expires_at=now + self.lifetimes.refresh
            )
            if not rotated:
                self.users.revoke_session(session_id, now)
                self.uow.after_commit(lambda: self.blocklist.revoke_sessions([(session_id, now)]))
                self.uow.commit()
            elif basis is None or not basis.is_active:
                raise TokenRevoked("This login is no longer valid; sign in again.")
            else:
                self.uow.commit()
        if not rotated:
            raise RefreshTokenReused("This refresh token was already used; the login has been revoked.")
        assert basis is not None
        return self._pair(user_id, session_id, new_jti, basis)

    def logout(self, *, session_id: str) -> None:
        """Revoke the login session: its access and refresh tokens stop working at once, everywhere."""
        now = self.clock()
        with self.uow:
            self.users.revoke_session(session_id, now)
            self.uow.after_commit(lambda: self.blocklist.revoke_sessions([(session_id, now)]))
            self.uow.commit()

    def _known_device(self, user: User | None, device_token: str | None, now: datetime) -> DeviceToken | None:
        """The live device token of `user` that the login presented, if it presented one."""
        if user is None or not device_token:
            return None
        device = self.users.find_device(device_token_hash(device_token))
        return device if device is not None and device.is_live(user.id, now) else None

    def _new_device(self, user_id: int, now: datetime) -> str:
        token = secrets.token_urlsafe(32)
        device = DeviceToken(
            user_id=user_id,
            token_hash=device_token_hash(token),
            created_at=now,
            last_used_at=now,
            expires_at=now + self.lifetimes.device,
        )
        self.users.add_device(device, keep=DEVICE_TOKENS_KEPT)
        return token

    def _pair(self, user_id: int, session_id: str, jti: str, basis: TokenBasis, *, fresh: bool = False) -> TokenPair:
        # Issued when the role was read, by the database's clock (never later than this server's own
        # clock, so no verifier sees a token from the future): see UserRepo.token_basis.
        issued_at = min(basis.read_at.timestamp(), time.time())
        return TokenPair(
            access_token=tokens.access_token(user_id, session_id, role=basis.role, issued_at=issued_at, fresh=fresh),
            refresh_token=tokens.refresh_token(user_id, session_id, jti),
            expires_in=int(self.lifetimes.access.total_seconds()),
        )
