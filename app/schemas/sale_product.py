"""Sale lines: what was bought, at the price paid."""

from __future__ import annotations

from marshmallow import Schema, fields

from app.schemas.base import Money


class SaleLineOut(Schema):
    product_id = fields.Integer(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    unit_price = Money(required=True, metadata={"description": "The price paid (a snapshot)"})
    quantity = fields.Integer(required=True)
    line_total = Money(required=True)
