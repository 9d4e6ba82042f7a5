"""Property: totals of random carts, and of their checkouts with tax, equal exact Decimal arithmetic."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from app.models import User
from tests.builders import make_address, make_cart, make_product, make_user

pytestmark = pytest.mark.slow  # 30 generated carts, each checked out over HTTP

cents = st.integers(min_value=1, max_value=10_000_000)  # 0.01 .. 100,000.00
lines = st.lists(st.tuples(cents, st.integers(min_value=1, max_value=50)), min_size=1, max_size=8)
tax_rates = st.sampled_from(["0", "0.07", "0.19", "0.21", "0.0825"])


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(lines=lines, tax_rate=tax_rates)
def test_cart_and_checkout_totals_are_exact(
    app: Flask,
    client: FlaskClient,
    db_session: Session,
    auth_headers: Callable[[User], dict[str, str]],
    lines: list[tuple[int, int]],
    tax_rate: str,
) -> None:
    user = make_user(db_session)
    address = make_address(db_session, user)
    products = {make_product(db_session, price=str(Decimal(c) / 100), stock=100): q for c, q in lines}
    make_cart(db_session, user, products)
    headers = auth_headers(user)

    expected_cents = sum(c * q for c, q in lines)
    subtotal = Decimal(expected_cents) / 100
    cart = client.get("/api/sales/cart", headers=headers).get_json()
    assert cart["total"] == f"{subtotal:.2f}"
    assert sorted(i["line_total"] for i in cart["items"]) == sorted(f"{Decimal(c * q) / 100:.2f}" for c, q in lines)

    shop = app.extensions["shop"]
    app.extensions["shop"] = replace(shop, tax_rate=Decimal(tax_rate))
    try:
        sale = client.post("/api/sales/checkout", json={"delivery_address_id": address.id}, headers=headers)
    finally:
        app.extensions["shop"] = shop
    assert sale.status_code == 201, sale.get_json()
    body = sale.get_json()
    tax = (subtotal * Decimal(tax_rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert (body["subtotal"], body["tax"], body["total"]) == (f"{subtotal:.2f}", f"{tax:.2f}", f"{subtotal + tax:.2f}")
    for value in (body["subtotal"], body["tax"], body["total"]):
        assert isinstance(value, str) and len(value.split(".")[1]) == 2
