"""Cart item inputs."""

from __future__ import annotations

from marshmallow import fields, validate

from app.models.cart_product import MAX_ITEM_QUANTITY
from app.schemas.base import Id, InSchema


class CartItemIn(InSchema):
    product_id = Id(required=True)
    quantity = fields.Integer(
        strict=True,
        load_default=1,
        validate=validate.Range(1, MAX_ITEM_QUANTITY),
        metadata={"description": f"Units to add (the item holds at most {MAX_ITEM_QUANTITY})"},
    )


class CartItemPatch(InSchema):
    quantity = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(0, MAX_ITEM_QUANTITY),
        metadata={"description": "The item's new quantity; 0 removes the item"},
    )
