"""JSON decoding for requests: numbers stay exact, NaN and runaway nesting are malformed."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from flask.json.provider import DefaultJSONProvider


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class ExactJSONProvider(DefaultJSONProvider):
    """Parses JSON numbers with a fraction as Decimal, so "19.99" and 19.99 mean the same."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_float", Decimal)
        kwargs.setdefault("parse_constant", _reject_constant)
        try:
            return json.loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deeply") from exc
