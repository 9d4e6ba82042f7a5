"""Checkout on the real database: the stock backstop, the invoice counter and request fingerprints."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import InvoiceCounter, Product, Sale
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
