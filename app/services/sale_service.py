"""Checkout, sales history, cancellations, the admin status flow and sales analytics."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.cache import keys
from app.extensions import db
from app.models import Invoice, Sale, SaleProduct, User
from app.models.base import utcnow
from app.repos.cart_repo import CartRepo
from app.repos.invoice_repo import InvoiceRepo
from app.repos.sale_repo import SaleFilter, SaleRepo
from app.repos.stock_repo import StockRepo, StockRow
from app.services.cart_service import InsufficientStock
from app.services.constraints import translate_constraints
from app.utils.exceptions import AppError, Conflict, NotFound, PriceChanged
from app.utils.money import to_cents
from app.utils.pagination import Page

# Where each status may go, and who may send it there through the admin PATCH.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "pending": ("paid", "cancelled"),
    "paid": ("shipped", "cancelled"),
    "shipped": ("delivered",),
    "delivered": (),
    "cancelled": (),
}
TOP_PRODUCTS = 10
MAX_KEY_LENGTH = 255
KEY_TTL = timedelta(hours=24)  # IDEMPOTENCY_KEY_TTL_HOURS' default


class SaleNotFound(NotFound):
    code = "sale_not_found"
    title = "Sale not found"


class AddressNotFound(NotFound):
    code = "address_not_found"
    title = "Address not found"


class CartEmpty(AppError):
    status = 422
    code = "cart_empty"
    title = "The cart is empty"


class ProductUnavailable(Conflict):
    code = "product_unavailable"
    title = "Product no longer sold"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "Status change not allowed"


class IdempotencyKeyReused(AppError):
    status = 422
    code = "idempotency_key_reused"
    title = "Idempotency key reused"


class RequestInProgress(Conflict):
    code = "request_in_progress"
    title = "Request in progress"


class InvalidIdempotencyKey(AppError):
    status = 400
    code = "invalid_idempotency_key"
    title = "Invalid Idempotency-Key header"


@dataclass(frozen=True)
class CheckoutResult:
    sale: Sale
    replayed: bool


@dataclass(frozen=True)
class DailyRevenue:
    date: str
    sales: int
    revenue: Decimal


@dataclass(frozen=True)
class ProductSales:
    product_id: int
    name: str
    quantity: int
    revenue: Decimal


@dataclass(frozen=True)
class SalesAnalytics:
    sales_count: int
    revenue_total: Decimal
    average_order_value: Decimal
    items_sold: int
    revenue_by_day: list[DailyRevenue]
    top_products: list[ProductSales]
    by_status: dict[str, int]
    currency: str


def request_hash(body: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a request body: what "the same request" means for a key."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _checkout_body(delivery_address_id: int, notes: str | None, expected_total: Decimal | None) -> dict[str, Any]:
    """What a key's fingerprint covers; expected_total only when sent, so keys stored before it existed
    still match their retries."""
    body: dict[str, Any] = {"delivery_address_id": delivery_address_id, "notes": notes}
    if expected_total is not None:
        body["expected_total"] = str(expected_total)
    return body


def _validate_key(key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(" " <= ch <= "~" for ch in key):
        raise InvalidIdempotencyKey(
            f"The Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} printable ASCII characters."
        )


def _sale_filter(
    *, status: str | None, user_id: int | None, date_from: date | None, date_to: date | None
) -> SaleFilter:
    return SaleFilter(
        status=status,
        user_id=user_id,
        created_from=datetime.combine(date_from, time.min, UTC) if date_from else None,
        created_before=datetime.combine(date_to + timedelta(days=1), time.min, UTC) if date_to else None,
    )


class SaleService:
    def __init__(self, session: Session | None = None) -> None:
        self.session = session or db.session()
        self.sales = SaleRepo(self.session)
        self.carts = CartRepo(self.session)
        self.stock = StockRepo(self.session)
        self.invoices = InvoiceRepo(self.session)

    # --- checkout ----------------------------------------------------------------------------

    def checkout(
        self,
        *,
        user: User,
        delivery_address_id: int,
        notes: str | None,
        idempotency_key: str | None,
        currency: str,
        tax_rate: Decimal,
        shop_name: str,
        expected_total: Decimal | None = None,
        key_ttl: timedelta = KEY_TTL,
    ) -> CheckoutResult:
        """Turn the cart into a sale with its invoice, all or nothing, in one transaction.

        With `expected_total`, only at that total: otherwise PriceChanged, and nothing changes.
        A key older than `key_ttl` no longer replays: the request is a new one.
        Raises CartEmpty, AddressNotFound, ProductUnavailable, InsufficientStock, PriceChanged,
        InvalidIdempotencyKey, IdempotencyKeyReused, RequestInProgress.
        """
        if idempotency_key is not None:
            _validate_key(idempotency_key)
            fingerprint = request_hash(_checkout_body(delivery_address_id, notes, expected_total))
            # The claim comes first, inside this transaction: a concurrent request with the same
            # key blocks on the unique index until we commit or roll back.
            expired_before = utcnow() - key_ttl
            if not self.sales.claim_key(user.id, idempotency_key, fingerprint, expired_before=expired_before):
                self.session.rollback()
                return CheckoutResult(sale=self._replay(user, idempotency_key, fingerprint), replayed=True)

        lines = self.carts.lines(user.id)
        if not lines:
            self.session.rollback()
            raise CartEmpty("Your cart is empty: add products before checking out.")
        address = self.sales.get_address(delivery_address_id, user.id)
        if address is None:
            self.session.rollback()
            raise AddressNotFound(f"Delivery address {delivery_address_id} not found.")

        wanted = {line.product_id: line.quantity for line in lines}
        locked = self._take_stock(wanted)
        sale_lines = [
            SaleProduct(
                product_id=pid,
                sku=locked[pid].sku,
                name=locked[pid].name,
                unit_price=locked[pid].price,
                quantity=qty,
                line_total=to_cents(locked[pid].price * qty),
            )
            for pid, qty in wanted.items()
        ]
        subtotal = sum((line.line_total for line in sale_lines), Decimal("0.00"))
        tax = to_cents(subtotal * tax_rate)
        if expected_total is not None:
            self._check_expected_total(expected_total, subtotal=subtotal, tax=tax, currency=currency)
        now = utcnow()
        sale = Sale(
            user_id=user.id,
            status="pending",
            currency=currency,
            subtotal=subtotal,
            tax=tax,
            total=subtotal + tax,
            delivery_address_id=address.id,
            delivery_address=address.snapshot(),
            notes=notes,
            created_at=now,
            updated_at=now,
            lines=sale_lines,
        )
        self.sales.add(sale)
        self.session.flush()  # one INSERT for the sale, one executemany for its lines
        # The invoice number last, so the counter row stays locked only until the commit below.
        self._issue_invoice(sale, buyer=user, shop_name=shop_name)
        self.carts.clear(user.id)
        if idempotency_key is not None:
            self.sales.attach_sale_to_key(user.id, idempotency_key, sale.id)
        self.session.commit()
        keys.bump(keys.cart_family(user.id), keys.ADMIN_SALES)
        return CheckoutResult(sale=sale, replayed=False)

    def _take_stock(self, wanted: dict[int, int]) -> dict[int, StockRow]:
        """Lock the products (one statement, id order), check them, decrement their stock (one statement)."""
        locked = {row.id: row for row in self.stock.lock_products(list(wanted))}
        unavailable = [pid for pid in wanted if pid not in locked or not locked[pid].is_active]
        if unavailable:
            self.session.rollback()
            raise ProductUnavailable(
                f"Product(s) {', '.join(map(str, unavailable))} are no longer sold; remove them from your cart.",
                product_ids=unavailable,
            )
        short = [(pid, qty, locked[pid].stock) for pid, qty in wanted.items() if locked[pid].stock < qty]
        if short:
            self.session.rollback()
            raise InsufficientStock(short)
        # CHECK (stock >= 0) is the backstop should a lock ever be missing (e.g. on SQLite).
        with translate_constraints(self.session, {"ck_products_stock_non_negative": lambda: InsufficientStock([])}):
            self.stock.take_stock(wanted)
        return locked

    def _check_expected_total(self, expected: Decimal, *, subtotal: Decimal, tax: Decimal, currency: str) -> None:
        """The buyer is charged only the total they were shown. The prices compared are those of the
        locked product rows, so they cannot change before the commit; the rollback returns the stock
        and drops the idempotency key, so a retry with the same key and the new total goes through."""
        total = subtotal + tax
        if total != expected:
            self.session.rollback()
            raise PriceChanged(
                f"The total is now {total} {currency}, not {expected}; confirm the new total and check out again.",
                expected_total=str(expected),
                subtotal=str(subtotal),
                tax=str(tax),
                total=str(total),
                currency=currency,
            )

    def _issue_invoice(self, sale: Sale, *, buyer: User, shop_name: str) -> None:
        """Number the sale's invoice (gap-free: the counter update rolls back with the checkout) and add it."""
        year = sale.created_at.year
        number = self.invoices.next_number(year)
        sale.invoice = Invoice(
            number=f"INV-{year}-{number:06d}",
            issued_at=sale.created_at,
            currency=sale.currency,
            subtotal=sale.subtotal,
            tax=sale.tax,
            total=sale.total,
            seller={"name": shop_name},
            buyer={"name": buyer.name, "email": buyer.email},
            delivery_address=sale.delivery_address,
            lines=[
                {
                    "product_id": line.product_id,
                    "sku": line.sku,
                    "name": line.name,
                    "unit_price": str(line.unit_price),
                    "quantity": line.quantity,
                    "line_total": str(line.line_total),
                }
                for line in sale.lines
            ],
        )
        self.session.flush()

    def _replay(self, user: User, key: str, fingerprint: str) -> Sale:
        stored = self.sales.find_key(user.id, key)
        if stored is not None and stored.request_hash != fingerprint:
            raise IdempotencyKeyReused("This Idempotency-Key was already used with a different request body.")
        if stored is None or stored.sale_id is None:
            raise RequestInProgress("A request with this Idempotency-Key is still being processed; retry shortly.")
        sale = self.sales.get(stored.sale_id)
        if sale is None:  # pragma: no cover - the key row cascades away with its sale
            raise RequestInProgress("The sale of this Idempotency-Key is not available.")
        return sale

    # --- reading -----------------------------------------------------------------------------

    def list_own(self, *, user: User, page: int, per_page: int) -> Page[Sale]:
        """The user's own sales, newest first."""
        return self.sales.list_for_user(user.id, page, per_page)

    def get(self, *, user: User, sale_id: int) -> Sale:
        """One sale for its owner or an admin. Raises SaleNotFound (also for another user's sale)."""
        sale = self.sales.get(sale_id)
        if sale is None or (sale.user_id != user.id and not user.is_admin):
            raise SaleNotFound(f"Sale {sale_id} not found.")
        return sale

    def admin_list(
        self,
        *,
        page: int,
        per_page: int,
        status: str | None = None,
        user_id: int | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> Page[Sale]:
        """All sales, newest first, filtered."""
        where = _sale_filter(status=status, user_id=user_id, date_from=date_from, date_to=date_to)
        return self.sales.list_page(where, page, per_page)

    def analytics(
        self,
        *,
        currency: str,
        status: str | None = None,
        user_id: int | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> SalesAnalytics:
        """Sales figures over the non-cancelled sales (by_status over all), computed in SQL."""
        where = _sale_filter(status=status, user_id=user_id, date_from=date_from, date_to=date_to)
        count, revenue = self.sales.totals(where)
        return SalesAnalytics(
            sales_count=count,
            revenue_total=revenue,
            average_order_value=to_cents(revenue / count) if count else Decimal("0.00"),
            items_sold=self.sales.items_sold(where),
            revenue_by_day=[DailyRevenue(d, n, r) for d, n, r in self.sales.revenue_by_day(where)],
            top_products=[ProductSales(*row) for row in self.sales.top_products(where, TOP_PRODUCTS)],
            by_status=self.sales.count_by_status(where),
            currency=currency,
        )

    # --- status changes ----------------------------------------------------------------------

    def cancel(self, *, user: User, sale_id: int) -> Sale:
        """Cancel a sale and return its stock, exactly once. Owners may cancel while pending,
        admins while pending or paid. Raises SaleNotFound, InvalidTransition."""
        sale = self.get(user=user, sale_id=sale_id)
        allowed = ("pending", "paid") if user.is_admin else ("pending",)
        return self._cancel(sale, allowed)

    def change_status(self, *, sale_id: int, status: str) -> Sale:
        """Admin: move a sale along pending → paid → shipped → delivered, or cancel it before
        shipping (its stock returns). Raises SaleNotFound, InvalidTransition."""
        sale = self.sales.get(sale_id)
        if sale is None:
            raise SaleNotFound(f"Sale {sale_id} not found.")
        current = sale.status
        if status not in TRANSITIONS[current]:
            raise InvalidTransition(f"A {current} sale cannot become {status}.", current_status=current)
        if status == "cancelled":
            return self._cancel(sale, ("pending", "paid"))
        if not self.sales.set_status(sale.id, status, from_statuses=(current,)):
            self.session.rollback()
            raise InvalidTransition("The sale changed meanwhile; reload it and try again.")
        self.session.commit()
        keys.bump(keys.ADMIN_SALES)
        return self._reload(sale)

    def _cancel(self, sale: Sale, allowed: tuple[str, ...]) -> Sale:
        # The status condition is part of the UPDATE, so of two racing cancels one restocks.
        if not self.sales.set_status(sale.id, "cancelled", from_statuses=allowed):
            self.session.rollback()
            current = self._reload(sale).status
            raise InvalidTransition(f"A {current} sale cannot be cancelled here.", current_status=current)
        quantities = self.sales.line_quantities(sale.id)
        self.stock.lock_products(list(quantities))  # id order, as checkout takes them
        self.stock.restock(quantities)
        self.invoices.mark_cancelled(sale.id)
        self.session.commit()
        keys.bump(keys.ADMIN_SALES)
        return self._reload(sale)

    def _reload(self, sale: Sale) -> Sale:
        self.session.refresh(sale)
        if sale.invoice is not None:
            self.session.refresh(sale.invoice)
        return sale
