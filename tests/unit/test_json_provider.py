"""The app's JSON writer (orjson) writes what Flask's json-based one wrote, byte for byte once parsed, and
keys sorted: the cached catalog's stock template depends on the order."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider

from app.api.json import ExactJSONProvider

WRITER, FLASK = ExactJSONProvider(Flask(__name__)), DefaultJSONProvider(Flask(__name__))


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [True, None, 1.5], "c": {"z": "é\x00", "y": Decimal("19.90")}},
        {2: "non-string keys", 10: "written as strings"},
        {"day": date(2026, 12, 4), "at": datetime(2026, 12, 4, 1, 2, 3, tzinfo=UTC)},  # Flask's HTTP dates
        {"echoed": "\ud800", "big": 2**70},  # what orjson refuses goes to json
    ],
    ids=["nested", "int-keys", "dates", "refused-by-orjson"],
)
def test_it_writes_what_json_wrote_with_sorted_keys(value: Any) -> None:
    written = WRITER.dumps(value, separators=(",", ":"))
    assert json.loads(written) == json.loads(FLASK.dumps(value, separators=(",", ":")))
    assert list(json.loads(written)) == sorted(json.loads(written))


def test_a_nul_stays_escaped_and_the_text_is_compact() -> None:
    assert WRITER.dumps({"stock": "\x00", "a": 1}) == '{"a":1,"stock":"\\u0000"}'


def test_it_indents_when_flask_asks() -> None:
    assert WRITER.dumps({"a": 1}, indent=2) == '{\n  "a": 1\n}'
