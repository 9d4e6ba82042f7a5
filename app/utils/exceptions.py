"""The error catalogue: every condition a client can meet, one class and one stable `code` each.

Services and the security layer raise these; app/api/errors.py turns each into an RFC 9457 problem
document with the class's status, title and code. A client branches on `code`, never on `detail`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


class AppError(Exception):
    status = 500
    code = "internal_error"
    title = "Internal Server Error"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


# --- the bases, by status -------------------------------------------------------------------------


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"
    title = "Not Found"


class Conflict(AppError):
    status = 409
    code = "conflict"
    title = "Conflict"


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


class RateLimited(AppError):
    """429: too many attempts; the same code as Flask-Limiter's own 429s (app/utils/problem.py)."""

    status = 429
    code = "rate_limited"
    title = "Too Many Requests"

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


# --- authentication -------------------------------------------------------------------------------


class MissingToken(Unauthorized):
    code = "missing_token"
    title = "Missing token"


class InvalidToken(Unauthorized):
    code = "invalid_token"
    title = "Invalid token"


class TokenExpired(Unauthorized):
    code = "token_expired"
    title = "Token expired"


class TokenRevoked(Unauthorized):
    code = "token_revoked"
    title = "Token revoked"


class FreshTokenRequired(Unauthorized):
    code = "fresh_token_required"
    title = "Fresh login required"


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    title = "Invalid credentials"


class RefreshTokenReused(Unauthorized):
    code = "refresh_token_reused"
    title = "Refresh token already used"


# --- users and addresses --------------------------------------------------------------------------


class UserNotFound(NotFound):
    code = "user_not_found"
    title = "User not found"


class DuplicateEmail(Conflict):
    code = "email_taken"
    title = "Email already registered"


class LastAdmin(Conflict):
    code = "last_admin"
    title = "Last active admin"


class AddressNotFound(NotFound):
    code = "address_not_found"
    title = "Address not found"


class AddressBookFull(Conflict):
    """The user already has as many delivery addresses as allowed (MAX_ADDRESSES_PER_USER)."""

    code = "address_book_full"
    title = "Address book full"


class DefaultAddressConflict(Conflict):
    code = "default_address_conflict"
    title = "Default address changed concurrently"


# --- catalog and cart -----------------------------------------------------------------------------


class ProductNotFound(NotFound):
    """An unknown or archived product, wherever it is named (catalog, cart)."""

    code = "product_not_found"
    title = "Product not found"


class DuplicateSku(Conflict):
    code = "duplicate_sku"
    title = "Duplicate SKU"


class NotInCart(NotFound):
    code = "not_in_cart"
    title = "Not in the cart"


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    title = "Insufficient stock"

    def __init__(self, shortages: Iterable[tuple[int, int, int]]) -> None:
        """`shortages`: (product_id, requested, available) for each product short."""
        products = [{"product_id": p, "requested": r, "available": a} for p, r, a in shortages]
        names = ", ".join(str(p["product_id"]) for p in products)
        detail = f"Not enough stock for product(s) {names}." if products else "Not enough stock."
        super().__init__(detail, products=products)


# --- checkout and sales ---------------------------------------------------------------------------


class CartEmpty(AppError):
    status = 422
    code = "cart_empty"
    title = "The cart is empty"


class ProductUnavailable(Conflict):
    code = "product_unavailable"
    title = "Product no longer sold"


class PriceChanged(Conflict):
    """Checkout: the cart's total is no longer the total the buyer was shown (expected_total)."""

    code = "price_changed"
    title = "Price changed"


class IdempotencyKeyReused(AppError):
    status = 422
    code = "idempotency_key_reused"
    title = "Idempotency key reused"


class RequestInProgress(Conflict):
    code = "request_in_progress"
    title = "Request in progress"


class SaleNotFound(NotFound):
    code = "sale_not_found"
    title = "Sale not found"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "Status change not allowed"


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"
    title = "Invoice not found"
