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
from app.security.rbac import Caller
from app.services.unit_of_work import UnitOfWork
from app.utils.exceptions import DuplicateEmail, InvalidInput, LastAdmin, UserNotFound
from app.utils.pagination import Page
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
    ) -> None:
        self.session = session or db.session()
        self.uow = UnitOfWork(self.session)
        self.users = UserRepo(self.session)
        self.passwords = passwords or current_passwords()
        self.clock = clock

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

        Email and password changes need the current password (InvalidInput otherwise). A new
        password revokes every other login of the user; this one (`session_id`) stays.
        Raises DuplicateEmail.
        """
        with self.uow:
            user = self.get(user_id=caller.id)
            if (email is not None or password is not None) and not (
                current_password is not None and self.passwords.verify(user.password_hash, current_password)
            ):
                raise InvalidInput({"current_password": ["Does not match your current password."]})
            if name is not None:
                user.name = name
            if email is not None:
                user.email = email
            if password is not None:
                user.password_hash = self.passwords.hash(password)
                self.users.revoke_sessions(user.id, self.clock(), keep=session_id)
            self.uow.commit(_CONSTRAINTS)
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

        Effective on the user's next request (the role and flag are read per request). Deactivating
        also revokes every login, so reactivating later does not bring old tokens back.
        Raises UserNotFound, LastAdmin (demoting or deactivating the last active admin).
        """
        with self.uow:
            user = self.get(user_id=user_id)
            if (role is not None and role != Role.ADMIN) or is_active is False:
                admins = self.users.lock_active_admins()
                self.session.refresh(user)  # the row as it is now that the admins are locked
                if user.id in admins and len(admins) == 1:
                    raise LastAdmin("The last active admin cannot be demoted or deactivated.")
            if role is not None:
                user.role = role
            if name is not None:
                user.name = name
            if is_active is not None:
                if user.is_active and not is_active:
                    self.users.revoke_sessions(user.id, self.clock())
                user.is_active = is_active
            self.uow.commit()
        return user

    def deactivate(self, *, user_id: int) -> None:
        """DELETE /users/{id}: the account is deactivated; its sales and history are kept."""
        self.admin_update(user_id=user_id, is_active=False)

    def ensure_admin(self, *, email: str, password: str, name: str = "Administrator") -> tuple[User, bool]:
        """Make `email` an active admin with this password; returns (user, created).

        The caller validates the input as registration does (the CLI loads it with RegisterIn).
        """
        with self.uow:
            user = self.users.find_by_email(email)
            created = user is None
            if user is None:
                user = User(email=email, name=name, password_hash="", role=Role.ADMIN)
                self.users.add(user)
            user.role = Role.ADMIN
            user.is_active = True
            user.password_hash = self.passwords.hash(password)
            self.uow.commit(_CONSTRAINTS)
        return user, created
