"""GET / and GET /api: where to find the docs and the spec."""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields

from app.api.spec import Blueprint

bp = Blueprint("index", __name__, description="Where to start")

LINKS = {
    "docs": "/api/docs",
    "openapi": "/api/openapi.json",
    "health": "/api/health",
    "users": "/api/users",
    "products": "/api/products",
    "sales": "/api/sales",
}


class IndexLinksOut(Schema):
    docs = fields.String(required=True, metadata={"description": "Interactive docs (Swagger UI)"})
    openapi = fields.String(required=True, metadata={"description": "This API's OpenAPI 3 document"})
    health = fields.String(required=True)
    users = fields.String(required=True)
    products = fields.String(required=True)
    sales = fields.String(required=True)


class IndexOut(Schema):
    name = fields.String(required=True, metadata={"example": "Ecommerce Backend API"})
    version = fields.String(required=True, metadata={"example": "1.0.0"})
    links = fields.Nested(IndexLinksOut, required=True)


def _index() -> dict[str, object]:
    return {"name": current_app.config["API_TITLE"], "version": current_app.config["API_VERSION"], "links": LINKS}


@bp.get("/")
@bp.response(200, IndexOut)
def get_root() -> dict[str, object]:
    """Links to the docs and the OpenAPI document."""
    return _index()


@bp.get("/api")
@bp.response(200, IndexOut)
def get_api_root() -> dict[str, object]:
    """Links to the docs and the OpenAPI document (the same as GET /)."""
    return _index()
