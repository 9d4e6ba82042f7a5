"""/api/sales: Carts, checkout, sales, invoices and analytics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, request
from flask.typing import ResponseReturnValue
from flask_jwt_extended import current_user
from marshmallow import fields

from app.api.spec import PROBLEM_CONTENT_TYPE, Blueprint, ProblemSchema
from app.cache import keys
from app.cache.response import cached_json
from app.schemas.base import Money, PageQuery
from app.schemas.cart import CartOut, CartTotalOut
from app.schemas.cart_product import CartItemIn, CartItemPatch
from app.schemas.invoice import InvoiceOut
from app.schemas.sale import (
    AdminSalesQuery,
    CheckoutIn,
    SaleOut,
    SalePage,
    SalesAnalyticsOut,
    SaleStatusPatch,
)
from app.services.cart_service import CartService
from app.services.invoice_service import InvoiceService
from app.services.sale_service import SaleService

bp = Blueprint(
    "sales",
    __name__,
    url_prefix="/api/sales",
    description="Carts, checkout, sales, invoices and analytics",
)

IDEMPOTENCY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "Retry-safe checkout: the same key and body return the same sale. Keys are kept"
    " IDEMPOTENCY_KEY_TTL_HOURS (default 24 h); after that the same key starts a new checkout.",
}
# What a view hands flask-smorest: a domain object it dumps with the @bp.response schema.
Dumped = Any


class CheckoutConflict(ProblemSchema):
    """A checkout 409: `insufficient_stock` (with `products`), `product_unavailable` (with `product_ids`),
    `request_in_progress`, or `price_changed` (with the cart's totals now)."""

    expected_total = Money(metadata={"description": "price_changed: the total sent"})
    subtotal = Money(metadata={"description": "price_changed: the cart's subtotal now"})
    tax = Money(metadata={"description": "price_changed: the tax on it now"})
    total = Money(metadata={"description": "price_changed: what checking out would charge now"})
    currency = fields.String(metadata={"description": "price_changed: the shop currency"})


PRICE_CHANGED_EXAMPLE = {
    "type": "urn:problem-type:price_changed",
    "title": "Price changed",
    "status": 409,
    "detail": "The total is now 25.00 USD, not 10.00; confirm the new total and check out again.",
    "code": "price_changed",
    "expected_total": "10.00",
    "subtotal": "25.00",
    "tax": "0.00",
    "total": "25.00",
    "currency": "USD",
}


def _currency() -> str:
    return str(current_app.config["SHOP_CURRENCY"])


# --- cart --------------------------------------------------------------------------------------


@bp.get("/cart")
@bp.auth("customer", "admin")
@bp.response(200, CartOut)
def get_cart() -> Dumped:
    """Show my cart at live prices."""
    return CartService().view(user=current_user, currency=_currency())


@bp.get("/cart/total")
@bp.auth("customer", "admin")
@bp.response(200, CartTotalOut)
def get_cart_total() -> ResponseReturnValue:
    """My cart's item count and total (cached per user, invalidated by cart writes and price changes)."""
    user = current_user

    def render() -> Any:
        return CartTotalOut().dump(CartService().total(user=user, currency=_currency()))

    return cached_json(keys.cart_total(user.id), current_app.config["CART_TOTAL_TTL"], render, name="cart_total")


@bp.post("/cart/items")
@bp.auth("customer", "admin")
@bp.arguments(CartItemIn)
@bp.response(201, CartOut)
@bp.errors(404, 409, 422)
def add_cart_item(data: dict[str, Any]) -> Dumped:
    """Add a product to my cart (or increase its line)."""
    return CartService().add_item(user=current_user, currency=_currency(), **data)


@bp.patch("/cart/items/<id:product_id>")
@bp.auth("customer", "admin")
@bp.arguments(CartItemPatch)
@bp.response(200, CartOut)
@bp.errors(404, 409, 422)
def update_cart_item(data: dict[str, Any], product_id: int) -> Dumped:
    """Set a cart line's quantity (0 removes it)."""
    return CartService().set_quantity(user=current_user, product_id=product_id, currency=_currency(), **data)


@bp.delete("/cart/items/<id:product_id>")
@bp.auth("customer", "admin")
@bp.response(204)
@bp.errors(404)
def remove_cart_item(product_id: int) -> ResponseReturnValue:
    """Remove a product from my cart."""
    CartService().remove_item(user=current_user, product_id=product_id)
    return ""


@bp.delete("/cart")
@bp.auth("customer", "admin")
@bp.response(204)
def empty_cart() -> ResponseReturnValue:
    """Empty my cart."""
    CartService().empty(user=current_user)
    return ""


# --- checkout and my sales ---------------------------------------------------------------------


@bp.post("/checkout")
@bp.auth("customer", "admin")
@bp.arguments(CheckoutIn)
@bp.response(
    201,
    SaleOut,
    headers={"Idempotent-Replayed": {"description": "`true` when this is a stored result replayed for a retried key"}},
)
@bp.errors(400, 404, 422)
@bp.alt_response(
    409,
    schema=CheckoutConflict,
    content_type=PROBLEM_CONTENT_TYPE,
    description="Short of stock, a product no longer sold, the same key in flight, or `price_changed`",
    example=PRICE_CHANGED_EXAMPLE,
)
@bp.doc(parameters=[IDEMPOTENCY_HEADER])
def checkout(data: dict[str, Any]) -> Dumped:
    """Buy what is in my cart: one sale with its invoice, all or nothing.

    A retry with the same Idempotency-Key and body returns the same sale (header
    `Idempotent-Replayed: true`) without touching stock again. With `expected_total`, the sale is made
    only at that total: a different one is a 409 `price_changed` carrying the current `subtotal`, `tax`
    and `total`, and nothing changes (no stock taken, no key kept: retry with the same key and the new
    total once the buyer has seen it).
    """
    config = current_app.config
    result = SaleService().checkout(
        user=current_user,
        idempotency_key=request.headers.get("Idempotency-Key"),
        currency=config["SHOP_CURRENCY"],
        tax_rate=config["TAX_RATE"],
        shop_name=config["SHOP_NAME"],
        key_ttl=timedelta(hours=config["IDEMPOTENCY_KEY_TTL_HOURS"]),
        **data,
    )
    headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
    return result.sale, 201, headers


@bp.get("")
@bp.auth("customer", "admin")
@bp.arguments(PageQuery, location="query")
@bp.response(200, SalePage)
@bp.errors(422)
def list_sales(query: dict[str, Any]) -> Dumped:
    """My sales, newest first."""
    return SaleService().list_own(user=current_user, **query)


@bp.get("/<id:sale_id>")
@bp.auth("customer", "admin")
@bp.response(200, SaleOut)
@bp.errors(404)
def get_sale(sale_id: int) -> Dumped:
    """One of my sales (admins: any sale)."""
    return SaleService().get(user=current_user, sale_id=sale_id)


@bp.post("/<id:sale_id>/cancel")
@bp.auth("customer", "admin")
@bp.response(200, SaleOut)
@bp.errors(404, 409)
def cancel_sale(sale_id: int) -> Dumped:
    """Cancel a sale and return its stock (owners while pending, admins while pending or paid)."""
    return SaleService().cancel(user=current_user, sale_id=sale_id)


@bp.get("/<id:sale_id>/invoice")
@bp.auth("customer", "admin")
@bp.response(200, InvoiceOut)
@bp.errors(404)
def get_invoice(sale_id: int) -> Dumped:
    """The invoice of one of my sales (admins: any sale)."""
    return InvoiceService().for_sale(user=current_user, sale_id=sale_id)


# --- admin -------------------------------------------------------------------------------------


@bp.get("/admin/sales")
@bp.auth("admin")
@bp.arguments(AdminSalesQuery, location="query")
@bp.response(
    200,
    SalePage,
    description="A page of sales; with `analytics=true`, the SalesAnalytics document instead.",
)
@bp.errors(422)
@bp.doc(
    responses={
        "200": {
            "description": "A page of sales; with `analytics=true`, the SalesAnalytics document instead.",
            "content": {"application/json": {"schema": {"oneOf": [SalePage, SalesAnalyticsOut]}}},
        },
    }
)
def list_all_sales(query: dict[str, Any]) -> ResponseReturnValue:
    """All sales, filtered and paginated, or their analytics (cached, fresh after every sale write)."""
    ttl = current_app.config["ADMIN_SALES_TTL"]
    filters = {k: query.get(k) for k in ("status", "user_id", "date_from", "date_to")}

    def render() -> Any:
        if query["analytics"]:
            return SalesAnalyticsOut().dump(SaleService().analytics(currency=_currency(), **filters))
        return SalePage().dump(SaleService().admin_list(page=query["page"], per_page=query["per_page"], **filters))

    return cached_json(keys.admin_sales(query), ttl, render, name="admin_sales")


@bp.patch("/admin/sales/<id:sale_id>")
@bp.auth("admin")
@bp.arguments(SaleStatusPatch)
@bp.response(200, SaleOut)
@bp.errors(404, 409, 422)
def update_sale_status(data: dict[str, Any], sale_id: int) -> Dumped:
    """Move a sale along pending → paid → shipped → delivered, or cancel it before shipping."""
    return SaleService().change_status(sale_id=sale_id, **data)
