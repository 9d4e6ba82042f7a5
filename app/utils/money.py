"""Money arithmetic: Decimal only, rounded once, half up, to cents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> Decimal:
    """Round an amount to two places, half up (the one rounding rule of the shop)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
