"""Seed a catalog of N products for the benchmark (default 100,000), deterministic.

    DATABASE_URL=postgresql://... .venv/bin/python bench/seed_catalog.py --products 100000

Creates the schema with the migrations first. Products get names and descriptions drawn from a
small vocabulary, so searches match realistic fractions of the catalog; about 10% are sold out and
5% archived. Existing bench products (sku BENCH-*) are kept: the script tops the catalog up to N.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Product  # noqa: E402
from app.models.base import utcnow  # noqa: E402

ADJECTIVES = [
    "red",
    "blue",
    "green",
    "black",
    "white",
    "small",
    "large",
    "classic",
    "modern",
    "vintage",
    "organic",
    "steel",
    "wooden",
    "cotton",
    "wool",
]
NOUNS = [
    "mug",
    "kettle",
    "lamp",
    "chair",
    "table",
    "scarf",
    "shirt",
    "laptop",
    "phone",
    "cable",
    "charger",
    "blanket",
    "pillow",
    "teapot",
    "bottle",
]
EXTRAS = [
    "durable",
    "light",
    "handmade",
    "washable",
    "portable",
    "premium",
    "compact",
    "ergonomic",
    "recycled",
    "waterproof",
]
CATEGORIES = ["kitchen", "home", "office", "garden", "fashion", "electronics", "toys", "books", "sports", "beauty"]
BATCH = 5_000


def product_rows(start: int, count: int, rng: random.Random) -> list[dict[str, object]]:
    now = utcnow()
    rows = []
    for n in range(start, start + count):
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {n}"
        words = " ".join(rng.choice(EXTRAS + ADJECTIVES + NOUNS) for _ in range(12))
        created = now - timedelta(seconds=rng.randrange(0, 3 * 365 * 86400))
        rows.append(
            {
                "sku": f"BENCH-{n:07d}",
                "name": name.title(),
                "description": f"A {words}.",
                "price": Decimal(rng.randrange(100, 100_000)) / 100,
                "stock": 0 if rng.random() < 0.1 else rng.randrange(1, 500),
                "category": rng.choice(CATEGORIES),
                "image_url": None,
                "is_active": rng.random() >= 0.05,
                "created_at": created,
                "updated_at": created,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        have = db.session.scalar(select(func.count()).where(Product.sku.like("BENCH-%"))) or 0
        rng = random.Random(42 + have)
        started = time.monotonic()
        for start in range(have, args.products, BATCH):
            db.session.execute(insert(Product), product_rows(start, min(BATCH, args.products - start), rng))
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(db.text("ANALYZE products"))
            db.session.commit()
        added = max(0, args.products - have)
        print(f"{added} products added in {time.monotonic() - started:.1f}s; catalog has {have + added} bench products")


if __name__ == "__main__":
    main()
