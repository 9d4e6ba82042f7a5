"""Password hashing with argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults (t=3, m=64 MiB, p=4) meet OWASP's argon2id minimum; "fast" is for tests.
PROFILES = {
    "strong": PasswordHasher(),
    "fast": PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
}


class Passwords:
    """Hash and verify passwords; verification costs the same whether or not the user exists."""

    def __init__(self, profile: str = "strong") -> None:
        self.hasher = PROFILES[profile]
        self._dummy_hash = self.hasher.hash("not a real password")

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """False for a wrong password or no user (`password_hash` None), after the same work."""
        try:
            return self.hasher.verify(password_hash or self._dummy_hash, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)


def current_passwords() -> Passwords:
    """The app's hasher (its profile comes from the config)."""
    from flask import current_app

    return current_app.extensions["passwords"]  # type: ignore[no-any-return]
