"""/api/sales: Carts, checkout, sales, invoices and analytics."""

from __future__ import annotations

from app.api.spec import Blueprint

bp = Blueprint(
    "sales",
    __name__,
    url_prefix="/api/sales",
    description="Carts, checkout, sales, invoices and analytics",
)
