"""The rules a new password must meet beyond its length (ASVS 6.2.4, 6.2.11; NIST SP 800-63B 3.1.1.2).

Checked wherever a password is chosen: registration, create-admin (both through RegisterIn) and a
password change (ProfilePatch, then UserService against the stored email and name). Never at login:
accounts made before a rule existed still sign in.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")

WHITESPACE = "The password cannot be only whitespace."
COMMON = "This password is on the list of the 20,000 most common passwords; choose a less predictable one."
PERSONAL = "The password cannot be your email address or your name."


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list (lower-cased), read once per process."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").split("\n")
    return frozenset(line for line in lines if line and not line.startswith("# "))


def common_problem(password: str) -> str | None:
    """The account-independent rule `password` breaks (only whitespace, a common password), or None."""
    if not password.strip():
        return WHITESPACE
    if password.lower() in common_passwords() or password.strip().casefold() in common_passwords():
        return COMMON
    return None


def password_problem(password: str, *, email: str | None = None, name: str | None = None) -> str | None:
    """The rule `password` breaks (its message), or None.

    `email` and `name` are the account's: the password may not be either of them, nor the email's
    local part, compared without case and surrounding whitespace.
    """
    problem = common_problem(password)
    if problem is not None:
        return problem
    folded = password.strip().casefold()
    personal = {value.strip().casefold() for value in (email, name) if value and value.strip()}
    if email and "@" in email:
        personal.add(email.strip().rsplit("@", 1)[0].casefold())
    if folded in personal:
        return PERSONAL
    return None
