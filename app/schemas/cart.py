"""The cart as clients see it."""

from __future__ import annotations

from marshmallow import Schema, fields

from app.schemas.base import Money


class CartItemOut(Schema):
    product_id = fields.Integer(required=True)
    name = fields.String(required=True)
    unit_price = Money(required=True, metadata={"description": "Live price"})
    quantity = fields.Integer(required=True)
    line_total = Money(required=True)
    available = fields.Boolean(required=True, metadata={"description": "Still sold and in stock for this quantity"})


class CartOut(Schema):
    items = fields.List(fields.Nested(CartItemOut), required=True)
    item_count = fields.Integer(required=True, metadata={"description": "Units in the cart"})
    total = Money(required=True)
    currency = fields.String(required=True)


class CartTotalOut(Schema):
    item_count = fields.Integer(required=True, metadata={"description": "Units in the cart"})
    total = Money(required=True)
    currency = fields.String(required=True)
