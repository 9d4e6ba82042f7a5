"""ProductService and ProductRepo on the real database: search, counts, archive, constraints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
import redis
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.models import Base, Product
from app.repos.product_repo import CatalogQuery, ProductRepo
from app.services.product_service import ProductService
from app.utils.exceptions import DuplicateSku, ProductNotFound
from tests.builders import SHOP, make_product

pytestmark = [pytest.mark.products, pytest.mark.usefixtures("app_context")]

CATALOG = [
    ("MUG", "Ceramic coffee mug", "Holds 300 ml of coffee"),
    ("KET", "Steel kettle", "Boils water for tea and coffee"),
    ("LAP", "Gaming laptop", "Fast, with a backlit keyboard"),
    ("SCF", "Red wool scarf", "Warm and soft"),
    ("SHT", "Red cotton shirt", "Light summer wear"),
    ("TEA", "Teapot", "Porcelain teapot with a ceramic lid"),
]


def seed(session: Session) -> None:
    for sku, name, description in CATALOG:
        make_product(session, sku=sku, name=name, description=description)


@pytest.fixture
def service(db_session: Session) -> ProductService:
    return ProductService(SHOP, db_session)


@pytest.fixture
def sqlite_session() -> Iterator[Session]:
    """The embedded default's database (make dev), built from the models."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


@contextmanager
def sql_statements() -> Iterator[list[tuple[str, Any]]]:
    """(statement, parameters) of every statement sent while the block runs."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        seen.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def skus(session: Session, query: CatalogQuery) -> list[str]:
    return [p.sku for p in ProductRepo(session).list_page(query).items]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("mug", ["MUG"]),
        ("coffee", ["MUG", "KET"]),  # named first, then described
        ("COFFEE", ["MUG", "KET"]),
        ("ceram", ["MUG", "TEA"]),
        ("red", ["SCF", "SHT"]),
        ("red wool", ["SCF"]),
        ("tea", ["TEA", "KET"]),
        ("lid porcelain", ["TEA"]),
        ("offee", []),  # words match from their start, not in the middle
        ("nothing-like-this", []),
    ],
)
def test_search_gives_the_same_results_on_postgresql_and_sqlite(
    db_session: Session, sqlite_session: Session, q: str, expected: list[str]
) -> None:
    seed(db_session)
    seed(sqlite_session)
    query = CatalogQuery(q=q, per_page=100)

    assert skus(db_session, query) == expected
    assert skus(sqlite_session, query) == expected


def test_postgresql_search_uses_the_gin_index(db_session: Session) -> None:
    seed(db_session)
    # Archived ones included, so the search is the only condition an index could serve.
    with sql_statements() as sent:
        ProductRepo(db_session).count(CatalogQuery(q="coffee mug", include_archived=True))
    (statement, parameters), *_ = sent

    db_session.execute(text("SET LOCAL enable_seqscan = off"))  # a handful of rows would not need an index
    plan = "\n".join(row[0] for row in db_session.connection().exec_driver_sql(f"EXPLAIN {statement}", parameters))

    assert "ix_products_search" in plan


def test_a_short_page_knows_its_total_without_counting(db_session: Session, service: ProductService) -> None:
    for _ in range(3):
        make_product(db_session)
    with sql_statements() as sent:
        page = service.list_page(per_page=10)

    assert (page.total, len(sent)) == (3, 1)


def test_a_full_page_counts_once_per_filter_set_and_generation(
    db_session: Session, service: ProductService, redis_db: redis.Redis
) -> None:
    for _ in range(4):
        make_product(db_session, category="kitchen")
    first = service.list_page(per_page=2, category="kitchen")
    with sql_statements() as sent:
        second = service.list_page(per_page=2, page=2, category="kitchen", sort="price")

    assert (first.total, second.total) == (4, 4)
    assert len(sent) == 1  # the page; the count is cached for this filter set


def test_a_write_makes_the_cached_count_stale(db_session: Session, service: ProductService) -> None:
    for _ in range(2):
        make_product(db_session)
    assert service.list_page(per_page=1).total == 2

    service.create(sku="NEW", name="New", price=Decimal("1.00"))

    assert service.list_page(per_page=1).total == 3


def test_create_rejects_a_duplicate_sku(db_session: Session, service: ProductService) -> None:
    make_product(db_session, sku="SAME")
    db_session.commit()

    with pytest.raises(DuplicateSku):
        service.create(sku="SAME", name="Other", price=Decimal("1.00"))


def test_archive_is_idempotent_and_keeps_the_row(
    db_session: Session, service: ProductService, redis_db: redis.Redis
) -> None:
    product = make_product(db_session)
    service.archive(product.id)
    generation = redis_db.get(redis_db.key("g:catalog"))

    service.archive(product.id)

    assert redis_db.get(redis_db.key("g:catalog")) == generation  # nothing changed, nothing bumped
    assert db_session.get(Product, product.id) is not None
    with pytest.raises(ProductNotFound):
        service.get(product.id)


def test_products_are_priced_in_the_given_currency(db_session: Session) -> None:
    product = make_product(db_session)

    assert ProductService(replace(SHOP, currency="EUR"), db_session).get(product.id).currency == "EUR"
