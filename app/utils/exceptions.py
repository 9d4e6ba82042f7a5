"""Domain errors. Services raise them; app/api/errors.py turns them into problem documents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class AppError(Exception):
    status = 500
    code = "internal_error"
    title = "Internal Server Error"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class NotFound(AppError):
    status = 404
    code = "not_found"
    title = "Not Found"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class Conflict(AppError):
    status = 409
    code = "conflict"
    title = "Conflict"


class AddressBookFull(Conflict):
    """The user already has as many delivery addresses as allowed (MAX_ADDRESSES_PER_USER)."""

    code = "address_book_full"
    title = "Address book full"


class PriceChanged(Conflict):
    """Checkout: the cart's total is no longer the total the buyer was shown (expected_total)."""

    code = "price_changed"
    title = "Price changed"


class InvalidInput(AppError):
    """422 with per-field messages, for rules a schema cannot check."""

    status = 422
    code = "validation_error"
    title = "Unprocessable Content"

    def __init__(self, errors: Mapping[str, Sequence[str]], detail: str | None = None) -> None:
        super().__init__(detail or "The request has invalid fields.")
        self.errors = {field: list(messages) for field, messages in errors.items()}


class Unavailable(AppError):
    status = 503
    code = "unavailable"
    title = "Service Unavailable"
    retry_after = 5
