"""Invoices: immutable once issued, apart from a cancellation mark."""

from __future__ import annotations

from marshmallow import Schema, fields

from app.schemas.base import Money, UtcDateTime
from app.schemas.delivery_address import AddressSnapshotOut


class PartyOut(Schema):
    name = fields.String(required=True)
    email = fields.String()


class InvoiceLineOut(Schema):
    product_id = fields.Integer(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    unit_price = Money(required=True)
    quantity = fields.Integer(required=True)
    line_total = Money(required=True)


class InvoiceSummaryOut(Schema):
    number = fields.String(required=True, metadata={"example": "INV-2026-000042"})
    issued_at = UtcDateTime(required=True)
    cancelled_at = UtcDateTime(allow_none=True)


class InvoiceOut(Schema):
    number = fields.String(required=True, metadata={"example": "INV-2026-000042"})
    sale_id = fields.Integer(required=True)
    issued_at = UtcDateTime(required=True)
    seller = fields.Nested(PartyOut, required=True)
    buyer = fields.Nested(PartyOut, required=True)
    delivery_address = fields.Nested(AddressSnapshotOut, required=True)
    lines = fields.List(fields.Nested(InvoiceLineOut), required=True)
    subtotal = Money(required=True)
    tax = Money(required=True)
    total = Money(required=True)
    currency = fields.String(required=True)
    cancelled_at = UtcDateTime(allow_none=True, metadata={"description": "Set when the sale was cancelled"})
