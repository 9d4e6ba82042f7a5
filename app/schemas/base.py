"""Schema bases and the field types every schema shares (Money, UtcDateTime, Email, Str)."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from app.utils.money import CENT

MAX_MONEY = Decimal("9999999999.99")  # NUMERIC(12, 2)
MAX_INT = 2**31 - 1  # PostgreSQL integer
_PLAIN_DECIMAL = re.compile(r"-?\d{1,12}(\.\d{1,2})?")

# What the OpenAPI document states for each field type: every value matching these patterns (and the
# length, range and enum the fields also declare) is accepted. tests/unit/test_documented_rules.py checks it.
# Text: no NUL anywhere, and for a required text something besides whitespace (values are trimmed).
TEXT_PATTERN = r"^[^\x00]*$"
NON_BLANK_TEXT_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"
MONEY_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
EMAIL_PATTERN = (
    r"^[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}$"
)
HTTP_URL_PATTERN = (
    r"^https?://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9][A-Za-z0-9-]{0,61}[A-Za-z0-9]"
    r"(:[0-9]{1,5})?(/[!-~]*)?$"
)


class InSchema(Schema):
    """Request bodies: an unknown field is an error, never silently dropped."""

    class Meta:
        unknown = RAISE


class QuerySchema(Schema):
    """Query strings: unknown parameters are ignored, known ones strictly validated."""

    class Meta:
        unknown = EXCLUDE


class Str(fields.String):
    """Text without NUL characters (PostgreSQL cannot store them), trimmed."""

    default_error_messages = {"nul": "Must not contain NUL characters."}

    def __init__(self, **kwargs: Any) -> None:
        validators = kwargs.get("validate")
        validators = validators if isinstance(validators, list | tuple) else [validators]
        non_blank = any(isinstance(v, validate.Length) and (v.min or 0) >= 1 for v in validators)
        metadata = {"pattern": NON_BLANK_TEXT_PATTERN if non_blank else TEXT_PATTERN}
        super().__init__(metadata=metadata | kwargs.pop("metadata", {}), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if "\x00" in text:
            raise self.make_error("nul")
        return text


class Email(fields.Email):
    """An email address, trimmed, NFKC-normalised and lower-cased before validation."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": EMAIL_PATTERN, "example": "ada@example.com"} | kwargs.pop("metadata", {})
        super().__init__(validate=validate.Length(max=254), metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", value).strip().lower()
        return str(super()._deserialize(value, attr, data, **kwargs))


class Money(fields.Field[Decimal]):
    """An amount of money: in, a string or number with at most two places; out, "19.99"."""

    default_error_messages = {
        "invalid": 'Must be an amount with at most two decimal places, such as "19.99".',
        "range": f"Must be between 0.00 and {MAX_MONEY}.",
    }

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "string", "pattern": MONEY_PATTERN, "example": "19.99"}
        super().__init__(metadata=metadata | kwargs.pop("metadata", {}), **kwargs)

    def _serialize(self, value: Decimal | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(Decimal(value).quantize(CENT))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        # JSON numbers arrive as Decimal (see app/api/json.py); floats only from Python callers.
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise self.make_error("invalid")
        text = repr(value) if isinstance(value, float) else str(value).strip()
        if not _PLAIN_DECIMAL.fullmatch(text):
            raise self.make_error("invalid")
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
            raise self.make_error("invalid") from exc
        if not Decimal(0) <= amount <= MAX_MONEY:
            raise self.make_error("range")
        return amount.quantize(CENT)


class UtcDateTime(fields.DateTime):
    """ISO 8601 in UTC with a trailing Z; naive input is taken as UTC."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def Id(**kwargs: Any) -> fields.Integer:  # noqa: N802 - reads like a field type
    """A database id: a strict positive integer that fits the column."""
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_INT), **kwargs)


class PageQuery(QuerySchema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100))


def page_of(item: type[Schema]) -> type[Schema]:
    """The {items, page, per_page, total, pages} envelope around a list of `item`."""
    name = item.__name__.removesuffix("Out") + "Page"
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
            "total": fields.Integer(required=True),
            "pages": fields.Integer(required=True),
        },
        name=name,
    )
