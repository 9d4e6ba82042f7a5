"""Checkout input, sales out, admin filters, status changes and analytics."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.models.sale import IDEMPOTENCY_KEY_MAX, SaleStatus
from app.schemas.base import MAX_INT, Day, HeaderSchema, Id, InSchema, Money, PageQuery, Str, Text, UtcDateTime, page_of
from app.schemas.delivery_address import AddressSnapshotOut
from app.schemas.invoice import InvoiceSummaryOut
from app.schemas.sale_product import SaleLineOut


class CheckoutIn(InSchema):
    delivery_address_id = Id(required=True)
    notes = Str(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    expected_total = Money(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "The total (subtotal + tax) the buyer was shown. If the cart's total now differs:"
            " 409 `price_changed` with the current `subtotal`, `tax` and `total`, and nothing changes."
            " Omitted: the current total is charged."
        },
    )


# Printable ASCII; no space at either end (HTTP drops it, so the key would not be the one sent).
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]([ -~]*[!-~])?$"


class CheckoutHeaders(HeaderSchema):
    """The checkout's optional Idempotency-Key (an invalid one: 400 `invalid_header`)."""

    idempotency_key = Text(
        data_key="Idempotency-Key",
        validate=[
            validate.Length(1, IDEMPOTENCY_KEY_MAX),
            validate.Regexp(
                IDEMPOTENCY_KEY_PATTERN, error="Must be printable ASCII, not starting or ending with a space."
            ),
        ],
        metadata={
            "pattern": IDEMPOTENCY_KEY_PATTERN,
            "description": "Retry-safe checkout: the same key and body return the same sale. Keys are kept"
            " IDEMPOTENCY_KEY_TTL_HOURS (default 24 h); after that the same key starts a new checkout.",
            "example": "3f1c9a52-7f57-4b7e-9f0e-0c6f1f3b9e21",
        },
    )


class SaleOut(Schema):
    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": [status.value for status in SaleStatus]})
    currency = fields.String(required=True)
    subtotal = Money(required=True)
    tax = Money(required=True)
    total = Money(required=True)
    delivery_address = fields.Nested(
        AddressSnapshotOut, required=True, metadata={"description": "Snapshot at checkout"}
    )
    notes = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(SaleLineOut), required=True)
    invoice = fields.Nested(InvoiceSummaryOut, allow_none=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)
    cancelled_at = UtcDateTime(allow_none=True)


SalePage = page_of(SaleOut)


class AdminSalesQuery(PageQuery):
    status = fields.Enum(SaleStatus, by_value=True)
    user_id = fields.Integer(validate=validate.Range(1, MAX_INT))  # query strings are text: not strict
    date_from = Day(metadata={"description": "First UTC day included (YYYY-MM-DD)"})
    date_to = Day(metadata={"description": "Last UTC day included (YYYY-MM-DD)"})
    analytics = fields.Boolean(load_default=False, metadata={"description": "Answer with the analytics instead"})

    @validates_schema
    def check_range(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("Must not be before date_from.", "date_to")


class SaleStatusPatch(InSchema):
    status = fields.Enum(SaleStatus, by_value=True, required=True)


class DailyRevenueOut(Schema):
    date = fields.String(required=True, metadata={"example": "2026-11-24"})
    sales = fields.Integer(required=True)
    revenue = Money(required=True)


class ProductSalesOut(Schema):
    product_id = fields.Integer(required=True)
    name = fields.String(required=True)
    quantity = fields.Integer(required=True)
    revenue = Money(required=True)


class SalesAnalyticsOut(Schema):
    sales_count = fields.Integer(required=True, metadata={"description": "Non-cancelled sales"})
    revenue_total = Money(required=True)
    average_order_value = Money(required=True)
    items_sold = fields.Integer(required=True)
    revenue_by_day = fields.List(fields.Nested(DailyRevenueOut), required=True)
    top_products = fields.List(fields.Nested(ProductSalesOut), required=True)
    by_status = fields.Dict(
        keys=fields.String(), values=fields.Integer(), required=True, metadata={"description": "All sales"}
    )
    currency = fields.String(required=True)
