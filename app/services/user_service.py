"""User accounts: registration, profiles and admin management."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.models.user import Role
from app.repos.user_repo import UserRepo
from app.security.blocklist import Blocklist, current_blocklist
from app.security.login_limits import LoginLimits, current_login_limits
from app.security.rbac import Caller
from app.services.unit_of_work import UnitOfWork
from app.utils.exceptions import DuplicateEmail, InvalidInput, LastAdmin, UserNotFound
from app.utils.pagination import Page
from app.utils.password_rules import password_problem
from app.utils.passwords import Passwords, current_passwords


def _email_taken() -> DuplicateEmail:
    return DuplicateEmail("An account with this email already exists.")


_CONSTRAINTS = {"uq_users_email": _email_taken}


class UserService:
    def __init__(
        self,
        session: Session | None = None,
        passwords: Passwords | None = None,
        clock: Callable[[], datetime] = utcnow,
        blocklist: Blocklist | None = None,
        limits: LoginLimits | None = None,
    ) -> None:
        self.session = session or db.session()
        self.uow = UnitOfWork(self.session)
        self.users = UserRepo(self.session)
        self.passwords = passwords or current_passwords()
        self.clock = clock
        self.blocklist = blocklist or current_blocklist()
        self.limits = limits or current_login_limits()

    def register(self, *, email: str, password: str, name: str) -> User:
        """Create a customer account. Raises DuplicateEmail."""
        with self.uow:
            user = User(email=email, name=name, password_hash=self.passwords.hash(password), role=Role.CUSTOMER)
            self.users.add(user)
            self.uow.commit(_CONSTRAINTS)
        return user

    def get(self, *, user_id: int) -> User:
        """One user. Raises UserNotFound."""
        user = self.users.get(user_id)
        if user is None:
            raise UserNotFound("No user with this id.")
        return user

    def update_profile(
        self,
        *,
        caller: Caller,
        session_id: str,
        name: str | None = None,
        email: str | None = None,
        password: str | None = None,
        current_password: str | None = None,
    ) -> User:
        """Change your own name, email or password (None: unchanged).

        Email and password changes need the current password (InvalidInput otherwise). A wrong one,
        and an email that is taken (DuplicateEmail), count against the account's failure limit, the
        one failed logins count against (RateLimited beyond it). A new password must meet the
        password rules against the account's email and name too (InvalidInput); it revokes every
        other login of the user (this one, `session_id`, stays) and forgets the user's device tokens.
        """
        with self.uow:
            user = self.get(user_id=caller.id)
            failures = None
            if email is not None or password is not None:
                failures = self.limits.account(user.email)
                failures.check()
                if current_password is None or not self.passwords.verify(user.password_hash, current_password):
                    failures.failed()
                    raise InvalidInput({"current_password": ["Does not match your current password."]})
            if password is not None:
                for account_email, account_name in ((email or user.email, name or user.name), (user.email, user.name)):
                    problem = password_problem(password, email=account_email, name=account_name)
                    if problem is not None:
                        raise InvalidInput({"password": [problem]})
            if name is not None:
                user.name = name
            if email is not None:
                user.email = email
            if password is not None:
                user.password_hash = self.passwords.hash(password)
                now = self.clock()
                revoked = self.users.revoke_sessions(user.id, now, keep=session_id)
                self.users.delete_devices(user.id)
                self.uow.after_commit(lambda: self.blocklist.revoke_sessions((sid, now) for sid in revoked))
            try:
                self.uow.commit(_CONSTRAINTS)
            except DuplicateEmail:
                if failures is not None:  # an answer that tells whether an email is registered
                    failures.failed()
                raise
        return user

    def list_users(
        self, *, page: int, per_page: int, q: str | None = None, role: Role | None = None, is_active: bool | None = None
    ) -> Page[User]:
        """Users by id, searched and filtered."""
        return self.users.list_page(page=page, per_page=per_page, q=q, role=role, is_active=is_active)

    def admin_update(
        self, *, user_id: int, role: Role | None = None, is_active: bool | None = None, name: str | None = None
    ) -> User:
        """An admin changes a user's role, active flag or name (None: unchanged).

        A role change or a deactivation voids the user's access tokens issued before it (401
        token_revoked on their next request; a refresh then carries the new role, or fails for a
        deactivated user). Deactivating also revokes every login, so reactivating later does not
        bring old tokens back. Raises UserNotFound, LastAdmin (demoting or deactivating the last
        active admin).
        """
        with self.uow:
            user = self.get(user_id=user_id)
            if (role is not None and role != Role.ADMIN) or is_active is False:
                admins = self.users.lock_active_admins()
                self.users.get_for_update(user.id)  # the row as it is now that the admins are locked
                if user.id in admins and len(admins) == 1:
                    raise LastAdmin("The last active admin cannot be demoted or deactivated.")
            elif role is not None:
                self.users.get_for_update(user.id)
            role_changed = role is not None and role != user.role
            deactivated = is_active is False and user.is_active
            if role is not None:
                user.role = role
            if name is not None:
                user.name = name
            if is_active is not None:
                if deactivated:
                    self.users.revoke_sessions(user.id, self.clock())
                user.is_active = is_active
            if role_changed or deactivated:
                self._void_tokens(user)
            self.uow.commit()
        return user

    def deactivate(self, *, user_id: int) -> None:
        """DELETE /users/{id}: the account is deactivated; its sales and history are kept."""
        self.admin_update(user_id=user_id, is_active=False)

    def ensure_admin(self, *, email: str, password: str, name: str = "Administrator") -> tuple[User, bool]:
        """Make `email` an active admin with this password; returns (user, created).

        The caller validates the input as registration does (the CLI loads it with RegisterIn).
        Promoting an existing user voids their access tokens issued before (they carry the old role).
        """
        with self.uow:
            user = self.users.find_by_email(email)
            created = user is None
            if user is None:
                user = User(email=email, name=name, password_hash="", role=Role.ADMIN)
                self.users.add(user)
            else:
                user = self.users.get_for_update(user.id) or user
                if user.role != Role.ADMIN:
                    self._void_tokens(user)
            user.role = Role.ADMIN
            user.is_active = True
            user.password_hash = self.passwords.hash(password)
            self.uow.commit(_CONSTRAINTS)
        return user, created

    def _void_tokens(self, user: User) -> None:
        """Stamp the user's row (locked by the caller) and, after commit, the blocklist's mark."""
        voided_at = self.users.void_tokens(user)
        user_id = user.id
        self.uow.after_commit(lambda: self.blocklist.void_tokens(user_id, voided_at))
