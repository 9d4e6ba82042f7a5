"""/api/sales: Carts, checkout, sales, invoices and analytics."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from marshmallow import fields

from app.api import shop
from app.api.spec import Blueprint, ProblemSchema
from app.cache import keys
from app.cache.response import cached_json
from app.models import Invoice, Sale
from app.models.user import Role
from app.schemas.base import Money, PageQuery, plain_dump
from app.schemas.cart import CartOut, CartTotalOut
from app.schemas.cart_product import CartItemIn, CartItemPatch
from app.schemas.invoice import InvoiceOut
from app.schemas.sale import (
    AdminSalesQuery,
    CheckoutHeaders,
    CheckoutIn,
    SaleOut,
    SalePage,
    SalesAnalyticsOut,
    SaleStatusPatch,
)
from app.security.decorators import current_caller
from app.security.rbac import ANY_ROLE
from app.services.cart_service import CartService, CartView
from app.services.checkout_service import CheckoutService
from app.services.invoice_service import InvoiceService
from app.services.sale_service import SaleService
from app.services.sales_analytics_service import SalesAnalyticsService
from app.utils.pagination import Page
from app.utils.problem import PROBLEM_CONTENT_TYPE

bp = Blueprint(
    "sales",
    __name__,
    url_prefix="/api/sales",
    description="Carts, checkout, sales, invoices and analytics",
)

REPLAYED = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored result of an earlier checkout with the same Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
SALE_ID = "$response.body#/id"
SALE_LINKS = {
    "GetSale": {"operationId": "getSale", "parameters": {"sale_id": SALE_ID}},
    "GetInvoice": {"operationId": "getInvoice", "parameters": {"sale_id": SALE_ID}},
    "CancelSale": {"operationId": "cancelSale", "parameters": {"sale_id": SALE_ID}},
    "ChangeSaleStatus": {"operationId": "updateSaleStatus", "parameters": {"sale_id": SALE_ID}},
}
CHECKOUT_EXAMPLE = {"delivery_address_id": 1, "notes": "Leave it with the neighbour at number 14."}
# Analytics list a row a day: dumped field by field as SalesAnalyticsOut would, at a fraction of the CPU.
DUMP_ANALYTICS = plain_dump(SalesAnalyticsOut())


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


# --- cart --------------------------------------------------------------------------------------


@bp.get("/cart")
@bp.auth(*ANY_ROLE)
@bp.response(200, CartOut)
def get_cart() -> CartView:
    """Show my cart at live prices."""
    return CartService(shop()).view(caller=current_caller())


@bp.get("/cart/total")
@bp.auth(*ANY_ROLE)
@bp.response(200, CartTotalOut)
def get_cart_total() -> Response:
    """My cart's item count and total (cached per user, invalidated by cart writes and price changes)."""
    caller = current_caller()
    return cached_json(
        keys.cart_total(caller.id),
        current_app.config["CART_TOTAL_TTL"],
        lambda: CartTotalOut().dump(CartService(shop()).total(caller=caller)),
        name="cart_total",
    )


@bp.post("/cart/items")
@bp.auth(*ANY_ROLE)
@bp.arguments(CartItemIn, example={"product_id": 1, "quantity": 2})
@bp.response(201, CartOut)
@bp.errors(404, 409, 422)
def add_cart_item(data: dict[str, Any]) -> CartView:
    """Add a product to my cart (or increase its item)."""
    return CartService(shop()).add_item(caller=current_caller(), **data)


@bp.patch("/cart/items/<id:product_id>")
@bp.auth(*ANY_ROLE)
@bp.arguments(CartItemPatch, example={"quantity": 3})
@bp.response(200, CartOut)
@bp.errors(404, 409, 422)
def update_cart_item(data: dict[str, Any], product_id: int) -> CartView:
    """Set a cart item's quantity (0 removes it)."""
    return CartService(shop()).set_quantity(caller=current_caller(), product_id=product_id, **data)


@bp.delete("/cart/items/<id:product_id>")
@bp.auth(*ANY_ROLE)
@bp.response(204)
@bp.errors(404)
def remove_cart_item(product_id: int) -> None:
    """Remove a product from my cart."""
    CartService(shop()).remove_item(caller=current_caller(), product_id=product_id)


@bp.delete("/cart")
@bp.auth(*ANY_ROLE)
@bp.response(204)
def empty_cart() -> None:
    """Empty my cart."""
    CartService(shop()).empty(caller=current_caller())


# --- checkout and my sales ---------------------------------------------------------------------


@bp.post("/checkout")
@bp.auth(*ANY_ROLE)
@bp.arguments(CheckoutHeaders, location="headers", error_status_code=400)
@bp.arguments(CheckoutIn, example=CHECKOUT_EXAMPLE)
@bp.response(201, SaleOut, headers=REPLAYED)
@bp.links(201, **SALE_LINKS)
@bp.errors(400, 404, 422)
@bp.alt_response(
    409,
    schema=CheckoutConflict,
    content_type=PROBLEM_CONTENT_TYPE,
    description="Short of stock, a product no longer sold, the same key in flight, or `price_changed`",
    example=PRICE_CHANGED_EXAMPLE,
)
def checkout(headers: dict[str, Any], data: dict[str, Any]) -> tuple[Sale, int, dict[str, str]]:
    """Buy what is in my cart: one sale with its invoice, all or nothing.

    A retry with the same Idempotency-Key and body returns the same sale (header
    `Idempotent-Replayed: true`) without touching stock again. With `expected_total`, the sale is made
    only at that total: a different one is a 409 `price_changed` carrying the current `subtotal`, `tax`
    and `total`, and nothing changes (no stock taken, no key kept: retry with the same key and the new
    total once the buyer has seen it).
    """
    result = CheckoutService(shop()).checkout(caller=current_caller(), **headers, **data)
    return result.sale, 201, {"Idempotent-Replayed": "true"} if result.replayed else {}


@bp.get("")
@bp.auth(*ANY_ROLE)
@bp.arguments(PageQuery, location="query")
@bp.response(200, SalePage)
@bp.errors(422)
def list_sales(query: dict[str, Any]) -> Page[Sale]:
    """My sales, newest first."""
    return SaleService().list_own(caller=current_caller(), **query)


@bp.get("/<id:sale_id>")
@bp.auth(*ANY_ROLE)
@bp.response(200, SaleOut)
@bp.errors(404)
def get_sale(sale_id: int) -> Sale:
    """One of my sales (admins: any sale)."""
    return SaleService().get(caller=current_caller(), sale_id=sale_id)


@bp.post("/<id:sale_id>/cancel")
@bp.auth(*ANY_ROLE)
@bp.response(200, SaleOut)
@bp.errors(404, 409)
def cancel_sale(sale_id: int) -> Sale:
    """Cancel a sale and return its stock (owners while pending, admins while pending or paid)."""
    return SaleService().cancel(caller=current_caller(), sale_id=sale_id)


@bp.get("/<id:sale_id>/invoice")
@bp.auth(*ANY_ROLE)
@bp.response(200, InvoiceOut)
@bp.errors(404)
def get_invoice(sale_id: int) -> Invoice:
    """The invoice of one of my sales (admins: any sale)."""
    return InvoiceService().for_sale(caller=current_caller(), sale_id=sale_id)


# --- admin -------------------------------------------------------------------------------------


@bp.get("/admin/sales")
@bp.auth(Role.ADMIN)
@bp.arguments(AdminSalesQuery, location="query")
@bp.response(
    200,
    SalePage,
    description="A page of sales; with `analytics=true`, the SalesAnalytics document instead.",
)
@bp.errors(422)
@bp.doc(
    responses={
        200: {
            "description": "A page of sales; with `analytics=true`, the SalesAnalytics document instead.",
            "content": {"application/json": {"schema": {"oneOf": [SalePage, SalesAnalyticsOut]}}},
        },
    }
)
def list_all_sales(query: dict[str, Any]) -> Response:
    """All sales, filtered and paginated, or their analytics (cached, fresh after every sale write)."""
    filters = {k: query.get(k) for k in ("status", "user_id", "date_from", "date_to")}

    def render() -> Any:
        if query["analytics"]:
            return DUMP_ANALYTICS(SalesAnalyticsService(shop()).analytics(**filters))
        return SalePage().dump(SaleService().admin_list(page=query["page"], per_page=query["per_page"], **filters))

    return cached_json(keys.admin_sales(query), current_app.config["ADMIN_SALES_TTL"], render, name="admin_sales")


@bp.patch("/admin/sales/<id:sale_id>")
@bp.auth(Role.ADMIN)
@bp.arguments(SaleStatusPatch, example={"status": "paid"})
@bp.response(200, SaleOut)
@bp.errors(404, 409, 422)
def update_sale_status(data: dict[str, Any], sale_id: int) -> Sale:
    """Move a sale along pending → paid → shipped → delivered, or cancel it before shipping."""
    return SaleService().change_status(sale_id=sale_id, **data)
