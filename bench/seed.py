"""Seed the benchmark database: 100,000 products, users with carts and addresses, a few thousand sales.

Bulk inserts through SQLAlchemy Core (not the API), so seeding takes seconds. Writes the users' tokens to
bench/out/users.tsv (token, address id) and an admin token to bench/out/admin.token.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import (  # noqa: E402
    AuthSession,
    Cart,
    CartProduct,
    DeliveryAddress,
    Invoice,
    InvoiceCounter,
    Product,
    Sale,
    SaleProduct,
    User,
)
from app.repos.sale_repo import SaleRepo  # noqa: E402
from app.security import tokens  # noqa: E402
from app.utils.passwords import PROFILES  # noqa: E402

PRODUCTS = 100_000
USERS = 300
SALES = 3_000
HOT_STOCK = 10_000_000
OUT = Path(__file__).resolve().parent / "out"
WORDS = [
    "wireless",
    "ergonomic",
    "steel",
    "bamboo",
    "organic",
    "compact",
    "portable",
    "premium",
    "classic",
    "smart",
    "leather",
    "cotton",
    "ceramic",
    "vintage",
    "electric",
    "solar",
    "waterproof",
    "foldable",
    "adjustable",
    "silent",
    "digital",
    "magnetic",
    "glass",
    "wooden",
]
NOUNS = [
    "mouse",
    "keyboard",
    "lamp",
    "kettle",
    "backpack",
    "bottle",
    "speaker",
    "chair",
    "desk",
    "mug",
    "blanket",
    "helmet",
    "racket",
    "puzzle",
    "charger",
    "monitor",
    "camera",
    "jacket",
    "shoe",
    "watch",
    "knife",
    "skillet",
    "pillow",
    "towel",
]
CATEGORIES = ["electronics", "books", "home", "sports", "toys", "garden", "kitchen", "office"]


def seed() -> None:
    rng = random.Random(42)
    now = datetime.now(UTC)
    session = db.session
    with db.engine.begin() as connection:
        names = ", ".join(t.name for t in reversed(db.metadata.sorted_tables))
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))

    started = time.perf_counter()
    batch = []
    for i in range(1, PRODUCTS + 1):
        name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {rng.choice(NOUNS)} {i}"
        batch.append(
            {
                "sku": f"BENCH-{i:06d}",
                "name": name,
                "description": f"A {rng.choice(WORDS)} {rng.choice(NOUNS)} for every {rng.choice(NOUNS)}.",
                "price": Decimal(rng.randint(100, 50_000)) / 100,
                "stock": HOT_STOCK if i <= 1000 else rng.randint(0, 500),
                "category": rng.choice(CATEGORIES),
                "image_url": None,
                "is_active": rng.random() > 0.02,
                "created_at": now - timedelta(minutes=PRODUCTS - i),
                "updated_at": now,
            }
        )
        if len(batch) == 10_000:
            session.execute(insert(Product), batch)
            batch = []
    # Products 1..1000 are the checkout scenarios' stock: active and plentiful.
    session.execute(text("UPDATE products SET is_active = true WHERE id <= 1000"))
    print(f"products: {PRODUCTS} in {time.perf_counter() - started:.1f}s")

    password_hash = PROFILES["strong"].hash("bench-password")
    session.execute(
        insert(User),
        [
            {
                "email": f"buyer{i}@bench.example",
                "name": f"Buyer {i}",
                "password_hash": password_hash,
                "role": "admin" if i == 0 else "customer",
                "is_active": True,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(USERS + 1)
        ],
    )
    users = session.scalars(select(User).order_by(User.id)).all()
    session.execute(
        insert(DeliveryAddress),
        [
            {
                "user_id": u.id,
                "recipient_name": u.name,
                "line1": f"{u.id} Bench Street",
                "city": "Springfield",
                "postal_code": "12345",
                "country": "US",
                "is_default": True,
                "created_at": now,
                "updated_at": now,
            }
            for u in users
        ],
    )
    addresses = dict(session.execute(select(DeliveryAddress.user_id, DeliveryAddress.id)).all())
    session.execute(insert(Cart), [{"user_id": u.id, "created_at": now, "updated_at": now} for u in users])
    carts = dict(session.execute(select(Cart.user_id, Cart.id)).all())
    session.execute(
        insert(CartProduct),
        [
            # Carts hold only the plentiful products 1..1000, so every benchmark checkout can succeed.
            {"cart_id": carts[u.id], "product_id": pid, "quantity": rng.randint(1, 3), "added_at": now}
            for u in users[1:]
            for pid in rng.sample(range(1, 1001), 3)
        ],
    )

    prices = dict(session.execute(select(Product.id, Product.price).where(Product.id <= 2000)).all())
    names_by_id = dict(session.execute(select(Product.id, Product.name).where(Product.id <= 2000)).all())
    statuses = ["pending", "paid", "shipped", "delivered", "cancelled"]
    sales, lines, invoices = [], [], []
    for n in range(1, SALES + 1):
        user = users[1 + n % USERS]
        created = now - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 1440))
        picked = rng.sample(range(1001, 2001), rng.randint(1, 4))
        sale_lines = [(pid, rng.randint(1, 3)) for pid in picked]
        subtotal = sum((prices[pid] * qty for pid, qty in sale_lines), Decimal("0.00"))
        status = rng.choice(statuses)
        address = {
            "recipient_name": user.name,
            "line1": "1 Bench Street",
            "line2": None,
            "city": "Springfield",
            "state": None,
            "postal_code": "12345",
            "country": "US",
            "phone": None,
        }
        sales.append(
            {
                "id": n,
                "user_id": user.id,
                "status": status,
                "currency": "USD",
                "subtotal": subtotal,
                "tax": Decimal("0.00"),
                "total": subtotal,
                "delivery_address_id": addresses[user.id],
                "delivery_address": address,
                "notes": None,
                "created_at": created,
                "updated_at": created,
                "cancelled_at": created if status == "cancelled" else None,
            }
        )
        lines.extend(
            {
                "sale_id": n,
                "product_id": pid,
                "sku": f"BENCH-{pid:06d}",
                "name": names_by_id[pid],
                "unit_price": prices[pid],
                "quantity": qty,
                "line_total": prices[pid] * qty,
            }
            for pid, qty in sale_lines
        )
        invoices.append(
            {
                "sale_id": n,
                "number": f"INV-{now.year}-{n:06d}",
                "issued_at": created,
                "currency": "USD",
                "subtotal": subtotal,
                "tax": Decimal("0.00"),
                "total": subtotal,
                "seller": {"name": "Bench Shop"},
                "buyer": {"name": user.name, "email": user.email},
                "delivery_address": address,
                "lines": [],
                "cancelled_at": created if status == "cancelled" else None,
            }
        )
    session.execute(insert(Sale), sales)
    session.execute(insert(SaleProduct), lines)
    SaleRepo(session()).rebuild_totals()  # the analytics' per-day totals, which checkout keeps from here on
    session.execute(insert(Invoice), invoices)
    session.execute(insert(InvoiceCounter), [{"year": now.year, "last_number": SALES}])
    session.execute(text("SELECT setval(pg_get_serial_sequence('sales', 'id'), (SELECT max(id) FROM sales))"))

    OUT.mkdir(exist_ok=True)
    rows = []
    for user in users:
        login = AuthSession(
            id=str(uuid.uuid4()), user_id=user.id, refresh_jti=str(uuid.uuid4()), expires_at=now + timedelta(days=1)
        )
        session.add(login)
        rows.append((user, tokens.access_token(user.id, login.id, role=user.role)))
    session.commit()
    (OUT / "admin.token").write_text(rows[0][1])
    (OUT / "users.tsv").write_text("".join(f"{token}\t{addresses[u.id]}\n" for u, token in rows[1:]))
    session.execute(text("ANALYZE"))
    counts = {m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in (Product, User, Sale)}
    print(f"seeded {counts} in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    app = create_app()
    with app.app_context():
        seed()
