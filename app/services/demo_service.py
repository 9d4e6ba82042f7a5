"""Demo data for a fresh development database."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from app.cache import keys
from app.extensions import db
from app.models import Product
from app.repos.product_repo import ProductRepo
from app.repos.system_repo import SystemRepo
from app.services.unit_of_work import UnitOfWork

CATALOG: dict[str, list[tuple[str, str, str]]] = {
    "electronics": [
        ("Wireless Mouse", "Ergonomic 2.4 GHz mouse with silent clicks", "24.99"),
        ("Mechanical Keyboard", "Tenkeyless keyboard with brown switches", "89.00"),
        ("USB-C Hub", "7-in-1 hub: HDMI, USB 3.0, SD card reader", "39.50"),
        ("Noise Cancelling Headphones", "Over-ear headphones, 30 h battery", "199.99"),
        ("Portable SSD 1TB", "Pocket-sized NVMe drive, USB 3.2", "109.00"),
        ("27-inch Monitor", "QHD IPS monitor with adjustable stand", "279.00"),
        ("Webcam 1080p", "Full HD webcam with dual microphones", "49.90"),
        ("Bluetooth Speaker", "Waterproof speaker with deep bass", "59.99"),
        ("Smartwatch", "Fitness tracking, heart rate and GPS", "149.00"),
        ("E-book Reader", "6-inch glare-free display, warm light", "119.99"),
    ],
    "books": [
        (
            "The Pragmatic Programmer",
            "From journeyman to master, 20th anniversary edition",
            "42.00",
        ),
        ("Clean Architecture", "A craftsman's guide to software structure", "34.99"),
        (
            "Designing Data-Intensive Applications",
            "Reliable, scalable, maintainable systems",
            "49.99",
        ),
        ("Fluent Python", "Clear, concise and effective programming", "54.00"),
        ("Refactoring", "Improving the design of existing code", "44.95"),
        ("Domain-Driven Design", "Tackling complexity in the heart of software", "59.00"),
        ("The Phoenix Project", "A novel about IT, DevOps and winning", "19.99"),
        ("Site Reliability Engineering", "How Google runs production systems", "39.99"),
        ("Database Internals", "A deep dive into how distributed data systems work", "47.50"),
        (
            "Working Effectively with Legacy Code",
            "Techniques for changing old code safely",
            "51.00",
        ),
    ],
    "home": [
        ("French Press", "1 litre borosilicate glass coffee maker", "27.00"),
        ("Chef's Knife", "8-inch stainless steel chef's knife", "64.00"),
        ("Cast Iron Skillet", "Pre-seasoned 12-inch skillet", "35.99"),
        ("Electric Kettle", "1.7 litre kettle with temperature control", "45.00"),
        ("Bamboo Cutting Board", "Large board with juice groove", "22.50"),
        ("Desk Lamp", "LED lamp with five brightness levels", "32.99"),
        ("Throw Blanket", "Soft knit blanket, 130 x 170 cm", "29.90"),
        ("Ceramic Mug Set", "Four 350 ml stoneware mugs", "24.00"),
        ("Air Purifier", "HEPA filter for rooms up to 40 m2", "129.00"),
        ("Scented Candle", "Cedar and vanilla, 50 h burn time", "16.50"),
    ],
    "sports": [
        ("Yoga Mat", "6 mm non-slip mat with carrying strap", "25.99"),
        ("Adjustable Dumbbells", "Pair, 2 to 24 kg each", "249.00"),
        ("Running Shoes", "Lightweight daily trainer", "119.00"),
        ("Water Bottle", "Insulated steel bottle, 750 ml", "21.00"),
        ("Resistance Bands", "Set of five bands with handles", "18.99"),
        ("Cycling Helmet", "Ventilated road helmet, size M", "79.00"),
        ("Tennis Racket", "Graphite racket for intermediate players", "99.50"),
        ("Jump Rope", "Speed rope with ball bearings", "12.99"),
        ("Foam Roller", "High-density roller for recovery", "23.50"),
        ("Hiking Backpack", "30 litre pack with rain cover", "84.00"),
    ],
    "toys": [
        ("Building Blocks Set", "500 pieces in a storage tub", "34.99"),
        ("Wooden Train Set", "Track, bridge and three wagons", "49.00"),
        ("Puzzle 1000 Pieces", "Landscape jigsaw puzzle", "17.99"),
        ("Remote Control Car", "Off-road car, 25 km/h", "59.00"),
        ("Board Game: Strategy", "Two to four players, ages 10+", "39.95"),
        ("Plush Bear", "Soft teddy bear, 40 cm", "19.50"),
        ("Kite", "Delta kite with 50 m line", "22.00"),
        ("Science Kit", "Twenty experiments for young chemists", "29.99"),
        ("Art Set", "Pencils, markers and paints in a case", "26.50"),
        ("Card Game", "Fast family card game", "9.99"),
    ],
}


class DemoService:
    def __init__(self, session: Session | None = None) -> None:
        self.session = session or db.session()
        self.uow = UnitOfWork(self.session)
        self.products = ProductRepo(self.session)
        self.system = SystemRepo(self.session)

    def seed_catalog(self) -> int:
        """Add the demo products that are missing (by SKU); returns how many were added."""
        with self.uow:
            existing = self.products.skus()
            added = 0
            for category, items in CATALOG.items():
                for index, (name, description, price) in enumerate(items, start=1):
                    sku = f"{category[:4].upper()}-{index:03d}"
                    if sku in existing:
                        continue
                    self.products.add(
                        Product(
                            sku=sku,
                            name=name,
                            description=description,
                            price=Decimal(price),
                            stock=10 + (index * 7) % 40,
                            category=category,
                            image_url=f"https://images.example.com/{sku.lower()}.jpg",
                        )
                    )
                    added += 1
            if added:
                self.uow.after_commit(lambda: keys.bump(keys.CATALOG, keys.MEMBERS))
            self.uow.commit()
        return added

    def drop_all_tables(self) -> None:
        """Drop every table, the migration history included, so `db upgrade` starts from nothing."""
        self.system.drop_all_tables()
        # Ids start again from 1: entries cached from the old rows must not answer for the new ones.
        keys.bump(keys.CATALOG, keys.MEMBERS, keys.ADMIN_SALES)
