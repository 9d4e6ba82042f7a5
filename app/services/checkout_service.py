"""Checkout: the cart becomes a sale with its invoice, all or nothing, at most once per Idempotency-Key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.cache import keys, stock
from app.config import ShopSettings
from app.extensions import db
from app.models import Invoice, Sale, SaleProduct
from app.models.base import Base, utcnow
from app.models.sale import SaleStatus
from app.repos.cart_repo import CartLine, CartRepo
from app.repos.delivery_address_repo import DeliveryAddressRepo, ShipTo
from app.repos.invoice_repo import InvoiceRepo
from app.repos.sale_repo import SaleRepo
from app.repos.stock_repo import StockRepo, StockRow
from app.security.rbac import Caller
from app.services.unit_of_work import UnitOfWork, translate_constraints
from app.utils.exceptions import (
    AddressNotFound,
    CartEmpty,
    IdempotencyKeyReused,
    InsufficientStock,
    PriceChanged,
    ProductUnavailable,
    RequestInProgress,
)
from app.utils.money import to_cents


def _columns(row: Base, *, skip: set[str]) -> dict[str, Any]:
    """The column values of an in-memory (never added) model instance, for a Core INSERT."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns if column.key not in skip}


@dataclass(frozen=True)
class CheckoutResult:
    sale: Sale
    replayed: bool


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


class CheckoutService:
    def __init__(self, shop: ShopSettings, session: Session | None = None) -> None:
        self.shop = shop
        self.session = session or db.session()
        self.uow = UnitOfWork(self.session)
        self.sales = SaleRepo(self.session)
        self.carts = CartRepo(self.session)
        self.addresses = DeliveryAddressRepo(self.session)
        self.stock = StockRepo(self.session)
        self.invoices = InvoiceRepo(self.session)

    def checkout(
        self,
        *,
        caller: Caller,
        delivery_address_id: int,
        notes: str | None,
        expected_total: Decimal | None = None,
        idempotency_key: str | None = None,
    ) -> CheckoutResult:
        """Turn the caller's cart into a sale with its invoice, all or nothing, in one transaction.

        With `expected_total`, only at that total (PriceChanged otherwise, and nothing changes). With
        an `idempotency_key`, a retry with the same body returns the first sale unchanged, for
        `idempotency_key_ttl`; after that the key starts a new checkout.
        Raises CartEmpty, AddressNotFound, ProductUnavailable, InsufficientStock, PriceChanged,
        IdempotencyKeyReused, RequestInProgress.
        """
        fingerprint = request_hash(_checkout_body(delivery_address_id, notes, expected_total))
        with self.uow:
            # The claim comes first, inside this transaction: a concurrent request with the same
            # key blocks on the unique index until we commit or roll back.
            if idempotency_key is None or self.sales.claim_key(
                caller.id, idempotency_key, fingerprint, expired_before=utcnow() - self.shop.idempotency_key_ttl
            ):
                ship_to = self.addresses.ship_to(caller.id, delivery_address_id)
                sale = self._sell_cart(caller, ship_to, delivery_address_id, notes, expected_total)
                if idempotency_key is not None:
                    self.sales.attach_sale_to_key(caller.id, idempotency_key, sale.id)
                # The invoice number last, so the counter row stays locked only until the commit.
                assert ship_to is not None  # _sell_cart raised AddressNotFound otherwise
                self._issue_invoice(sale, ship_to)
                self.uow.after_commit(lambda: keys.bump(keys.cart_family(caller.id), keys.ADMIN_SALES))
                self.uow.commit()
                return CheckoutResult(sale=sale, replayed=False)
        # An earlier request holds the key; read what it settled on, after our rollback.
        assert idempotency_key is not None
        return CheckoutResult(sale=self._replay(caller, idempotency_key, fingerprint), replayed=True)

    def _sell_cart(
        self,
        caller: Caller,
        ship_to: ShipTo | None,
        delivery_address_id: int,
        notes: str | None,
        expected_total: Decimal | None,
    ) -> Sale:
        """Empty the cart, take its stock and insert the sale with its lines (Core statements, no ORM
        flush). The Sale returned is built in memory from what was written (it is not in the session)."""
        items = self.carts.take_items(caller.id)  # the rollback of a failed checkout gives them back
        if not items:
            raise CartEmpty("Your cart is empty: add products before checking out.")
        if ship_to is None:
            raise AddressNotFound(f"Delivery address {delivery_address_id} not found.")
        locked = self._take_stock(items)
        sale = self._new_sale(caller, ship_to, notes, items, locked)
        if expected_total is not None and sale.total != expected_total:
            raise self._price_changed(sale, expected_total)
        sale.id = self.sales.insert(
            _columns(sale, skip={"id"}), [_columns(line, skip={"sale_id"}) for line in sale.lines]
        )
        return sale

    def _take_stock(self, items: Sequence[CartLine]) -> dict[int, StockRow]:
        """Lock the products (id order), check them and decrement their stock: one statement on
        PostgreSQL. The locked rows, with their stock before the sale."""
        wanted = {item.product_id: item.quantity for item in items}
        # CHECK (stock >= 0) is the backstop should a lock ever be missing (e.g. on SQLite).
        with translate_constraints({"ck_products_stock_non_negative": lambda: InsufficientStock([])}):
            locked = {row.id: row for row in self.stock.lock_and_take(wanted)}
        unavailable = [pid for pid in wanted if pid not in locked or not locked[pid].is_active]
        if unavailable:
            raise ProductUnavailable(
                f"Product(s) {', '.join(map(str, unavailable))} are no longer sold; remove them from your cart.",
                product_ids=unavailable,
            )
        short = [(pid, qty, locked[pid].stock) for pid, qty in wanted.items() if locked[pid].stock < qty]
        if short:
            raise InsufficientStock(short)
        # After commit: live stock for cached catalog reads; the catalog generation only if one sold out.
        before = {pid: locked[pid].stock for pid in wanted}
        after = {pid: locked[pid].stock - qty for pid, qty in wanted.items()}
        self.uow.after_commit(lambda: stock.changed(before, after))
        return locked

    def _new_sale(
        self,
        caller: Caller,
        ship_to: ShipTo,
        notes: str | None,
        items: Sequence[CartLine],
        locked: dict[int, StockRow],
    ) -> Sale:
        """The sale at the locked prices, its lines and the address as they are now (snapshots)."""
        lines = [
            SaleProduct(
                product_id=item.product_id,
                sku=locked[item.product_id].sku,
                name=locked[item.product_id].name,
                unit_price=locked[item.product_id].price,
                quantity=item.quantity,
                line_total=to_cents(locked[item.product_id].price * item.quantity),
            )
            for item in items
        ]
        subtotal = sum((line.line_total for line in lines), Decimal("0.00"))
        tax = to_cents(subtotal * self.shop.tax_rate)
        now = utcnow()
        return Sale(
            user_id=caller.id,
            status=SaleStatus.PENDING,
            currency=self.shop.currency,
            subtotal=subtotal,
            tax=tax,
            total=subtotal + tax,
            delivery_address_id=ship_to.address_id,
            delivery_address=ship_to.address,
            notes=notes,
            cancelled_at=None,
            created_at=now,
            updated_at=now,
            lines=lines,
        )

    @staticmethod
    def _price_changed(sale: Sale, expected_total: Decimal) -> PriceChanged:
        """The buyer is charged only the total they were shown. The prices compared are those of the
        locked rows, so they cannot change before the commit; the rollback returns the stock and drops
        the idempotency key, so a retry with the same key and the new total goes through."""
        return PriceChanged(
            f"The total is now {sale.total} {sale.currency}, not {expected_total}; "
            "confirm the new total and check out again.",
            expected_total=str(expected_total),
            subtotal=str(sale.subtotal),
            tax=str(sale.tax),
            total=str(sale.total),
            currency=sale.currency,
        )

    def _issue_invoice(self, sale: Sale, ship_to: ShipTo) -> None:
        """Number the sale's invoice and insert it (gap-free: the counter update rolls back with the checkout)."""
        invoice = Invoice(
            sale_id=sale.id,
            issued_at=sale.created_at,
            currency=sale.currency,
            subtotal=sale.subtotal,
            tax=sale.tax,
            total=sale.total,
            seller={"name": self.shop.name},
            buyer={"name": ship_to.buyer_name, "email": ship_to.buyer_email},
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
            cancelled_at=None,
        )
        invoice.number = self.invoices.issue(sale.created_at.year, _columns(invoice, skip={"id", "number"}))
        sale.invoice = invoice

    def _replay(self, caller: Caller, key: str, fingerprint: str) -> Sale:
        stored = self.sales.find_key(caller.id, key)
        if stored is not None and stored.request_hash != fingerprint:
            raise IdempotencyKeyReused("This Idempotency-Key was already used with a different request body.")
        if stored is None or stored.sale_id is None:
            raise RequestInProgress("A request with this Idempotency-Key is still being processed; retry shortly.")
        sale = self.sales.get(stored.sale_id)
        if sale is None:  # pragma: no cover - the key row cascades away with its sale
            raise RequestInProgress("The sale of this Idempotency-Key is not available.")
        return sale
