"""/api/sales: Carts, checkout, sales, invoices and analytics."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.typing import ResponseReturnValue
from flask_jwt_extended import current_user

from app.api.spec import Blueprint
from app.cache import keys
from app.cache.response import cached_json
from app.schemas.base import PageQuery
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
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": "^[!-~]([ -~]*[!-~])?$",
        "example": "order-2026-0001",
    },
    "description": "Retry-safe checkout (1 to 255 printable ASCII characters): the same key and body return the "
    "same sale (kept at least 24 h).",
}
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
# What a view hands flask-smorest: a domain object it dumps with the @bp.response schema.
Dumped = Any


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
@bp.arguments(CartItemIn, example={"product_id": 1, "quantity": 2})
@bp.response(201, CartOut)
@bp.errors(404, 409, 422)
def add_cart_item(data: dict[str, Any]) -> Dumped:
    """Add a product to my cart (or increase its line)."""
    return CartService().add_item(user=current_user, currency=_currency(), **data)


@bp.patch("/cart/items/<id:product_id>")
@bp.auth("customer", "admin")
@bp.arguments(CartItemPatch, example={"quantity": 3})
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
@bp.arguments(CheckoutIn, example=CHECKOUT_EXAMPLE)
@bp.response(201, SaleOut, headers=REPLAYED)
@bp.links(201, **SALE_LINKS)
@bp.errors(400, 404, 409, 422)
@bp.doc(parameters=[IDEMPOTENCY_HEADER])
def checkout(data: dict[str, Any]) -> Dumped:
    """Buy what is in my cart: one sale with its invoice, all or nothing.

    A retry with the same Idempotency-Key and body returns the same sale (header
    `Idempotent-Replayed: true`) without touching stock again.
    """
    config = current_app.config
    result = SaleService().checkout(
        user=current_user,
        idempotency_key=request.headers.get("Idempotency-Key"),
        currency=config["SHOP_CURRENCY"],
        tax_rate=config["TAX_RATE"],
        shop_name=config["SHOP_NAME"],
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
        200: {
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
@bp.arguments(SaleStatusPatch, example={"status": "paid"})
@bp.response(200, SaleOut)
@bp.errors(404, 409, 422)
def update_sale_status(data: dict[str, Any], sale_id: int) -> Dumped:
    """Move a sale along pending → paid → shipped → delivered, or cancel it before shipping."""
    return SaleService().change_status(sale_id=sale_id, **data)
