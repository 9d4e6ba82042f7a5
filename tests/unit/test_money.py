"""Money is exact: Decimal in, two-place strings out, one rounding rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from app.schemas.base import MAX_MONEY, Money
from app.utils.money import to_cents

amounts = st.decimals(min_value=0, max_value=MAX_MONEY, places=2, allow_nan=False, allow_infinity=False)


class Priced(Schema):
    price = Money(required=True)


@given(amounts)
def test_any_two_place_amount_round_trips_exactly(amount: Decimal) -> None:
    loaded = Priced().load({"price": str(amount)})["price"]
    assert loaded == amount
    assert isinstance(loaded, Decimal)
    dumped = Priced().dump({"price": loaded})["price"]
    assert dumped == f"{amount:.2f}"
    assert Priced().load({"price": dumped})["price"] == amount


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=9))
def test_more_than_two_places_is_rejected(whole: int, digit: int) -> None:
    with pytest.raises(ValidationError):
        Priced().load({"price": f"{whole}.00{digit}"})


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_to_cents_rounds_half_up_like_integer_arithmetic(thousandths: int) -> None:
    amount = Decimal(thousandths) / 1000
    cents, remainder = divmod(abs(thousandths), 10)
    expected_cents = cents + (1 if remainder >= 5 else 0)
    expected = Decimal(expected_cents if thousandths >= 0 else -expected_cents) / 100
    assert to_cents(amount) == expected


@pytest.mark.parametrize(
    "value",
    ["NaN", "Infinity", "-Infinity", "1e3", "1E+2", "-0.01", "0x10", "", " ", "1,00", "10000000000.00", None, [], {}],
)
def test_non_amounts_are_rejected(value: object) -> None:
    with pytest.raises(ValidationError):
        Priced().load({"price": value})
