"""Cart line inputs."""

from __future__ import annotations

from marshmallow import fields, validate

from app.schemas.base import Id, InSchema

MAX_LINE_QUANTITY = 999


class CartItemIn(InSchema):
    product_id = Id(required=True)
    quantity = fields.Integer(
        strict=True,
        load_default=1,
        validate=validate.Range(1, MAX_LINE_QUANTITY),
        metadata={"description": f"Units to add (the line holds at most {MAX_LINE_QUANTITY})"},
    )


class CartItemPatch(InSchema):
    quantity = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(0, MAX_LINE_QUANTITY),
        metadata={"description": "The line's new quantity; 0 removes the line"},
    )
