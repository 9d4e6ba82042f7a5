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


class InSchema(Schema):
    """Request bodies: an unknown field is an error, never silently dropped."""

    class Meta:
        unknown = RAISE


class QuerySchema(Schema):
    """Query strings: unknown parameters are ignored, known ones strictly validated."""

    class Meta:
        unknown = EXCLUDE


class HeaderSchema(Schema):
    """Request headers: the ones not declared are ignored, the declared ones strictly validated."""

    class Meta:
        unknown = EXCLUDE


class Str(fields.String):
    """Text without NUL characters (PostgreSQL cannot store them), trimmed."""

    default_error_messages = {"nul": "Must not contain NUL characters."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if "\x00" in text:
            raise self.make_error("nul")
        return text


def normalize_email(text: str) -> str:
    """The one spelling of an email address we store and compare: NFKC, trimmed, lower-case."""
    return unicodedata.normalize("NFKC", text).strip().lower()


class Email(fields.Email):
    """An email address, normalised (normalize_email) before validation."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Length(max=254), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str):
            value = normalize_email(value)
        return str(super()._deserialize(value, attr, data, **kwargs))


class Money(fields.Field[Decimal]):
    """An amount of money: in, a string or number with at most two places; out, "19.99"."""

    default_error_messages = {
        "invalid": 'Must be an amount with at most two decimal places, such as "19.99".',
        "range": f"Must be between 0.00 and {MAX_MONEY}.",
    }

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "example": "19.99"}
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
