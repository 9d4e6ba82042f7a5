"""User accounts: registration, profiles and admin management."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.extensions import db
from app.models import User
from app.repos.user_repo import UserRepo
from app.security.rbac import ADMIN, CUSTOMER
from app.services.constraints import translate_constraints
from app.utils.exceptions import Conflict
from app.utils.passwords import Passwords, current_passwords


class DuplicateEmail(Conflict):
    code = "email_taken"
    title = "Email already registered"


class UserService:
    def __init__(self, session: Session | None = None, passwords: Passwords | None = None) -> None:
        self.session = session or db.session()
        self.users = UserRepo(self.session)
        self.passwords = passwords or current_passwords()

    def register(self, *, email: str, password: str, name: str) -> User:
        """Create a customer account. Raises DuplicateEmail."""
        user = User(email=email, name=name, password_hash=self.passwords.hash(password), role=CUSTOMER)
        self.users.add(user)
        with translate_constraints(
            self.session,
            {"uq_users_email": lambda: DuplicateEmail("An account with this email already exists.")},
        ):
            self.session.commit()
        return user

    def ensure_admin(self, *, email: str, password: str, name: str = "Administrator") -> tuple[User, bool]:
        """Make `email` an active admin with this password; returns (user, created)."""
        user = self.users.find_by_email(email)
        created = user is None
        if user is None:
            user = User(email=email, name=name, password_hash="", role=ADMIN)
            self.users.add(user)
        user.role = ADMIN
        user.is_active = True
        user.password_hash = self.passwords.hash(password)
        self.session.commit()
        return user, created
