"""SQLAlchemy models, imported here so the metadata knows every table."""

from app.models.base import Base
from app.models.cart import Cart
from app.models.cart_product import CartProduct
from app.models.delivery_address import DeliveryAddress
from app.models.invoice import Invoice, InvoiceCounter
from app.models.product import Product
from app.models.sale import IdempotencyKey, Sale
from app.models.sale_product import SaleProduct
from app.models.sale_totals import ProductSalesByDay, ProductSalesTotal, SalesByDay
from app.models.user import AuthSession, DeviceToken, User

__all__ = [
    "AuthSession",
    "Base",
    "Cart",
    "CartProduct",
    "DeliveryAddress",
    "DeviceToken",
    "IdempotencyKey",
    "Invoice",
    "InvoiceCounter",
    "Product",
    "ProductSalesByDay",
    "ProductSalesTotal",
    "Sale",
    "SaleProduct",
    "SalesByDay",
    "User",
]
