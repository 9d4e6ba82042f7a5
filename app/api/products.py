"""/api/products: Product catalog."""

from __future__ import annotations

from app.api.spec import Blueprint

bp = Blueprint("products", __name__, url_prefix="/api/products", description="Product catalog")
