"""Builders with valid defaults: a test overrides only what it is about. They flush, never commit."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from app.config import ShopSettings
from app.models import AuthSession, Cart, CartProduct, DeliveryAddress, Product, User
from app.models.base import utcnow
from app.models.user import Role
from app.security import tokens
from app.security.rbac import Caller
from app.utils.passwords import PROFILES

_seq = itertools.count(1)
PASSWORD = "correct horse battery"
_PASSWORD_HASH = PROFILES["fast"].hash(PASSWORD)


def make_user(session: Session, *, role: str = "customer", is_active: bool = True, **fields: object) -> User:
    n = next(_seq)
    values: dict[str, object] = {
        "email": f"user{n}-{uuid.uuid4().hex[:6]}@example.com",
        "name": f"User {n}",
        "password_hash": _PASSWORD_HASH,
    }
    values.update(fields)
    user = User(role=role, is_active=is_active, **values)
    session.add(user)
    session.flush()
    return user


def make_product(
    session: Session, *, price: str = "9.99", stock: int = 10, is_active: bool = True, **fields: object
) -> Product:
    n = next(_seq)
    values: dict[str, object] = {
        "sku": f"SKU-{n}-{uuid.uuid4().hex[:6]}",
        "name": f"Product {n}",
        "description": f"Description of product {n}",
        "category": "general",
    }
    values.update(fields)
    product = Product(price=Decimal(price), stock=stock, is_active=is_active, **values)
    session.add(product)
    session.flush()
    return product


def product_body(**fields: object) -> dict[str, object]:
    """A valid body for POST /api/products (nothing is stored): the SKU is always MUG-001."""
    body: dict[str, object] = {
        "sku": "MUG-001",
        "name": "Coffee mug",
        "description": "A sturdy mug",
        "price": "12.50",
        "stock": 7,
        "category": "kitchen",
        "image_url": "https://img.example.com/mug.png",
    }
    body.update(fields)
    return body


def make_address(session: Session, user: User, *, is_default: bool = False, **fields: object) -> DeliveryAddress:
    values: dict[str, object] = {
        "recipient_name": user.name,
        "line1": "1 Main Street",
        "city": "Springfield",
        "postal_code": "12345",
        "country": "US",
    }
    values.update(fields)
    address = DeliveryAddress(user_id=user.id, is_default=is_default, **values)
    session.add(address)
    session.flush()
    return address


def make_cart(session: Session, user: User, lines: dict[Product, int]) -> Cart:
    cart = Cart(user_id=user.id)
    session.add(cart)
    session.flush()
    for product, quantity in lines.items():
        session.add(CartProduct(cart_id=cart.id, product_id=product.id, quantity=quantity))
    session.flush()
    return cart


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    session_id: str


def start_session(session: Session, user: User) -> TokenPair:
    """A login session for `user` and its tokens, without going through /login (signing needs an app context)."""
    login = AuthSession(
        id=str(uuid.uuid4()),
        user_id=user.id,
        refresh_jti=str(uuid.uuid4()),
        expires_at=utcnow() + timedelta(days=30),
    )
    session.add(login)
    session.flush()
    return TokenPair(
        access=tokens.access_token(user.id, login.id, role=user.role),
        refresh=tokens.refresh_token(user.id, login.id, login.refresh_jti),
        session_id=login.id,
    )


# The shop settings service tests construct services with (the app's come from its config).
SHOP = ShopSettings(name="Test Shop", currency="USD", tax_rate=Decimal("0"), catalog_ttl=60)


def caller_of(user: User) -> Caller:
    """The caller a view would hand a service for `user`."""
    return Caller(id=user.id, role=Role(user.role))
