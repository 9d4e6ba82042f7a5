"""Failure limits of password checks: per account, and per device token (OWASP "device cookies").

Counted with Flask-Limiter's own strategy and storage (moving window, in Redis when configured, so
every process shares the counts), by hand: a check before the password is verified, a hit only when
it fails. So an owner's successful logins never count, and strangers failing on an account stop
only the logins that carry no device token of it. Failed logins, wrong current passwords at
PATCH /api/users/me and its email_taken answers share the account's counter.

Attempts verified at the same moment can each pass the check before any of them is counted, so a
burst can exceed a limit by the attempts in flight at once (bounded by the workers serving logins).
While Redis is unreachable the counts are kept in this process.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import current_app
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter, RateLimiter

from app.extensions import limiter
from app.utils.exceptions import RateLimited

log = logging.getLogger(__name__)
T = TypeVar("T")

ACCOUNT_SCOPE = "login-failures"
DEVICE_SCOPE = "device-failures"


class _Fallback:
    """Per-process counts for while the shared storage fails (made on first need)."""

    strategy: RateLimiter | None = None

    @classmethod
    def get(cls) -> RateLimiter:
        if cls.strategy is None:
            cls.strategy = MovingWindowRateLimiter(MemoryStorage())
        return cls.strategy


@dataclass(frozen=True)
class FailureCounter:
    """The failures of one account or one device token."""

    item: RateLimitItem
    identifiers: tuple[str, ...]
    enabled: bool

    def check(self) -> None:
        """Raise RateLimited if the limit of failures is reached."""
        if not self.enabled:
            return
        allowed = self._call(lambda strategy: strategy.test(self.item, *self.identifiers))
        if not allowed:
            reset_at = self._call(lambda strategy: strategy.get_window_stats(self.item, *self.identifiers).reset_time)
            retry_after = max(1, math.ceil(reset_at - time.time()))
            raise RateLimited("Too many failed attempts for this account; try again later.", retry_after=retry_after)

    def failed(self) -> None:
        """Count one failure."""
        if self.enabled:
            self._call(lambda strategy: strategy.hit(self.item, *self.identifiers))

    def _call(self, operation: Callable[[RateLimiter], T]) -> T:
        try:
            return operation(limiter.limiter)
        except Exception as error:  # the shared storage failed: count in this process, as Flask-Limiter does
            log.warning("login limits: storage failed (%s), counting in this process", type(error).__name__)
            return operation(_Fallback.get())


@dataclass(frozen=True)
class LoginLimits:
    account_limit: RateLimitItem
    device_limit: RateLimitItem
    prefix: str
    enabled: bool

    def account(self, email: str) -> FailureCounter:
        """The counter of an account, named by its normalised email (known or not)."""
        return FailureCounter(self.account_limit, (self.prefix, f"account:{email}", ACCOUNT_SCOPE), self.enabled)

    def device(self, device_id: int) -> FailureCounter:
        """The counter of one device token."""
        return FailureCounter(self.device_limit, (self.prefix, f"device:{device_id}", DEVICE_SCOPE), self.enabled)


def current_login_limits() -> LoginLimits:
    """The limits of this app's config (RATELIMIT_LOGIN_ACCOUNT, RATELIMIT_LOGIN_DEVICE)."""
    config = current_app.config
    return LoginLimits(
        account_limit=parse(config.get("RATELIMIT_LOGIN_ACCOUNT") or config["RATELIMIT_LOGIN"]),
        device_limit=parse(config["RATELIMIT_LOGIN_DEVICE"]),
        prefix=config["RATELIMIT_KEY_PREFIX"],
        enabled=bool(config["RATELIMIT_ENABLED"] and limiter.enabled),
    )
