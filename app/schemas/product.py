"""Catalog DTOs: ProductIn (create / full replace), ProductPatch, ProductOut, ProductQuery, ProductPage."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from app.schemas.base import (
    HTTP_URL_PATTERN,
    MAX_INT,
    InSchema,
    Money,
    PageQuery,
    QuerySchema,
    Str,
    Text,
    Url,
    UtcDateTime,
    page_of,
)
from app.utils.pagination import CURSOR_MAX, parse_cursor, scope_of

SKU_MAX = 64  # products.sku String(64)
NAME_MAX = 200  # products.name String(200)
CATEGORY_MAX = 80  # products.category String(80)
URL_MAX = 2048  # products.image_url String(2048)
DESCRIPTION_MAX = 10_000  # products.description is TEXT; a bound keeps bodies and search sane
QUERY_MAX = 200
SORTS = ("name", "-name", "price", "-price", "created_at", "-created_at")


def _stock(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(0, MAX_INT), **kwargs)


def _image_url(**kwargs: Any) -> Url:
    return Url(
        schemes={"http", "https"},
        require_tld=False,
        allow_none=True,
        validate=validate.Length(max=URL_MAX),
        metadata={"format": "uri", "pattern": HTTP_URL_PATTERN, "example": "https://images.example.com/mug.jpg"},
        **kwargs,
    )


class ProductIn(InSchema):
    """A product as an admin creates or replaces it (PUT): omitted optional fields take their defaults."""

    sku = Str(required=True, validate=validate.Length(1, SKU_MAX))
    name = Str(required=True, validate=validate.Length(1, NAME_MAX))
    description = Str(load_default="", validate=validate.Length(max=DESCRIPTION_MAX))
    price = Money(required=True)
    stock = _stock(load_default=0)
    category = Str(load_default=None, allow_none=True, validate=validate.Length(1, CATEGORY_MAX))
    image_url = _image_url(load_default=None)


class ProductPatch(InSchema):
    """Some fields of a product; only those given change."""

    sku = Str(validate=validate.Length(1, SKU_MAX))
    name = Str(validate=validate.Length(1, NAME_MAX))
    description = Str(validate=validate.Length(max=DESCRIPTION_MAX))
    price = Money()
    stock = _stock()
    category = Str(allow_none=True, validate=validate.Length(1, CATEGORY_MAX))
    image_url = _image_url()
    is_active = fields.Boolean(
        truthy={True},
        falsy={False},
        metadata={"description": "true restores an archived product; false archives it (as DELETE)."},
    )


class ProductOut(Schema):
    id = fields.Integer(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    price = Money(required=True)
    currency = fields.String(required=True, metadata={"example": "USD"})
    stock = fields.Integer(required=True)
    in_stock = fields.Boolean(required=True)
    category = fields.String(required=True, allow_none=True)
    image_url = fields.String(required=True, allow_none=True)
    is_active = fields.Boolean(required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


ProductPage = page_of(
    ProductOut,
    next_cursor=fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "Opaque: pass it as `cursor` with the same filters, sort and `per_page` to get the next"
            " page, as fast at any depth (keyset pagination). null on the last page.",
            "example": "eyJwIjoyLCJzIjoiY3JlYXRlZF9hdCIsImsiOiIyMDI2LTExLTI0VDA5OjAwOjAwKzAwOjAwIiwiaSI6NDJ9",
        },
    ),
)


class ProductQuery(PageQuery):
    """The catalog list's filters, sort and page. Loaded values form the cache key."""

    q = Str(
        validate=validate.Length(max=QUERY_MAX),
        metadata={"description": "Search words over name and description (all must match, word prefixes count)."},
    )
    category = Str(validate=validate.Length(1, CATEGORY_MAX), metadata={"description": "Exact category."})
    min_price = Money(metadata={"description": "Lowest price, inclusive."})
    max_price = Money(metadata={"description": "Highest price, inclusive."})
    in_stock = fields.Boolean(
        metadata={"description": "true: only products in stock; false: only sold-out ones; absent: both."}
    )
    sort = Text(
        validate=validate.OneOf(SORTS),
        metadata={"description": "Default: relevance when `q` is given, else `-created_at`. Ties break on id."},
    )
    include_archived = fields.Boolean(
        load_default=False,
        metadata={"description": "Admins only (401 without a token, 403 for customers): list archived ones too."},
    )
    cursor = Text(
        validate=validate.Length(1, CURSOR_MAX),
        metadata={
            "description": "A `next_cursor` from the previous page: continues the list after its last item (`page`"
            " is then ignored). Send the same filters, sort and `per_page`; a cursor made under others, or not"
            " made by this API, is a 422."
        },
    )

    @validates_schema
    def _price_range(self, data: dict[str, Any], **_kwargs: Any) -> None:
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            raise ValidationError("Must not be above max_price.", "min_price")

    @post_load
    def _normalise(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        # One cache entry per meaning: collapse whitespace in the search, drop an empty one.
        query = " ".join(data.pop("q", "").split())
        if query:
            data["q"] = query
        if "cursor" in data:
            # The same fingerprint as CatalogQuery.scope (app/repos/product_repo.py).
            scope = scope_of(
                **{name: data.get(name) for name in ("q", "category", "min_price", "max_price", "in_stock", "sort")},
                include_archived=data["include_archived"],
                per_page=data["per_page"],
            )
            try:
                parse_cursor(data["cursor"], scope)
            except ValueError as error:
                raise ValidationError(str(error), "cursor") from None
        return data


class ConditionalHeaders(QuerySchema):
    """Request headers of the cached reads (documented here; the cache helper reads them)."""

    if_none_match = Text(
        data_key="If-None-Match",
        metadata={"description": "An ETag from an earlier response: 304 when the content has not changed."},
    )
