"""Checkout on the real database: the stock backstop, the invoice counter and request fingerprints."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.models import InvoiceCounter, Product, Sale
from app.models.base import utcnow
from app.repos.invoice_repo import InvoiceRepo
from app.repos.stock_repo import StockRepo, StockRow
from app.services.checkout_service import CheckoutService, request_hash
from app.utils.exceptions import InsufficientStock
from tests.builders import SHOP, caller_of, make_address, make_cart, make_product, make_user

pytestmark = [pytest.mark.sales, pytest.mark.usefixtures("app_context")]


def test_the_stock_check_constraint_backs_up_a_missing_lock(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user(db_session)
    product = make_product(db_session, stock=1)
    address = make_address(db_session, user)
    make_cart(db_session, user, {product: 3})
    db_session.commit()
    stale = StockRow(product.id, product.sku, product.name, product.price, 100, True)
    monkeypatch.setattr(StockRepo, "lock_products", lambda self, ids: [stale])  # as if read without a lock
    # The portable path (lock, then UPDATE), as on SQLite; PostgreSQL's one statement checks in the UPDATE.
    monkeypatch.setattr("app.repos.stock_repo.is_postgresql", lambda session: False)

    with pytest.raises(InsufficientStock):
        CheckoutService(SHOP, db_session).checkout(
            caller=caller_of(user), delivery_address_id=address.id, notes=None, idempotency_key=None
        )

    db_session.expire_all()
    assert db_session.scalar(select(Product.stock).where(Product.id == product.id)) == 1
    assert db_session.scalar(select(func.count(Sale.id))) == 0


def test_a_rolled_back_invoice_number_is_reused(db_session: Session) -> None:
    repo = InvoiceRepo(db_session)
    db_session.commit()
    first = repo.next_number(2031)
    db_session.commit()
    taken = repo.next_number(2031)
    db_session.rollback()
    again = repo.next_number(2031)
    db_session.commit()
    assert (first, taken, again) == (1, 2, 2)
    assert db_session.get(InvoiceCounter, 2031).last_number == 2  # type: ignore[union-attr]


def test_request_hash_ignores_key_order_and_tells_bodies_apart() -> None:
    assert request_hash({"a": 1, "b": None}) == request_hash({"b": None, "a": 1})
    assert request_hash({"a": 1, "b": None}) != request_hash({"a": 1, "b": "x"})


def _checkout_statements(db_session: Session, *, idempotency_key: str | None = None) -> tuple[Sale, list[str]]:
    user = make_user(db_session)
    products = [make_product(db_session, stock=5), make_product(db_session, stock=5)]
    address = make_address(db_session, user)
    make_cart(db_session, user, {products[0]: 2, products[1]: 1})
    db_session.commit()
    db_session.get(type(user), user.id)  # as the request's user loader leaves it in the identity map
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "SAVEPOINT" not in statement:  # the test's outer transaction, not the checkout's work
            statements.append(statement)

    engine = db_session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        result = CheckoutService(SHOP, db_session).checkout(
            caller=caller_of(user), delivery_address_id=address.id, notes=None, idempotency_key=idempotency_key
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return result.sale, statements


def test_a_checkout_takes_five_statements_and_numbers_the_invoice_last(db_session: Session) -> None:
    sale, statements = _checkout_statements(db_session)

    # address with the buyer, cart (emptied as it is read), lock+check+decrement, sale with its lines and
    # its totals (the three upserts are CTEs of that statement), counter+invoice
    assert len(statements) == 5, statements
    assert all(
        f"INSERT INTO {table} " in statements[-2]
        for table in ("sales_by_day", "product_sales_by_day", "product_sales_totals")
    ), statements[-2]
    assert statements[-1].lstrip().startswith("WITH counter AS")
    assert [line.quantity for line in sale.lines] == [2, 1]
    assert sale.invoice is not None and sale.invoice.number.startswith("INV-")


def test_a_keyed_checkout_adds_only_the_claim_and_the_attach(db_session: Session) -> None:
    _sale, statements = _checkout_statements(db_session, idempotency_key="k-1")

    assert len(statements) == 7, statements
    assert statements[-1].lstrip().startswith("WITH counter AS")


def test_the_checkout_answer_matches_what_was_stored(db_session: Session) -> None:
    sale, _statements = _checkout_statements(db_session)

    db_session.expire_all()
    stored = db_session.get(Sale, sale.id)
    assert stored is not None and stored.invoice is not None and sale.invoice is not None
    assert (stored.total, stored.subtotal, stored.tax, stored.delivery_address) == (
        sale.total,
        sale.subtotal,
        sale.tax,
        sale.delivery_address,
    )
    assert [(x.product_id, x.quantity, x.line_total) for x in stored.lines] == [
        (x.product_id, x.quantity, x.line_total) for x in sale.lines
    ]
    assert (stored.invoice.number, stored.invoice.lines) == (sale.invoice.number, sale.invoice.lines)


def test_invoice_numbers_past_six_digits_are_never_cut(db_session: Session) -> None:
    db_session.add(InvoiceCounter(year=utcnow().year, last_number=999_999))
    db_session.commit()

    sale, _statements = _checkout_statements(db_session)

    assert sale.invoice is not None
    assert sale.invoice.number == f"INV-{utcnow().year}-1000000"
