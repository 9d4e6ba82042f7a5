"""Schema bases and the field types every schema shares (Money, UtcDateTime, Email, Text, Str, Url)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import Any

import orjson
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from app.utils.money import CENT

MAX_MONEY = Decimal("9999999999.99")  # NUMERIC(12, 2)
MAX_INT = 2**31 - 1  # PostgreSQL integer
# Days a filter may name: far from date.max, so "the day after" is always a date.
MIN_DAY = date(1970, 1, 1)
MAX_DAY = date(2999, 12, 31)
# [0-9], not \d: \d also matches other scripts' digits ("١٢" would read as 12). The sign admits "-0.00" only:
# every other negative amount fails the range check.
_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,2})?")

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


class HeaderSchema(Schema):
    """Request headers: the ones not declared are ignored, the declared ones strictly validated."""

    class Meta:
        unknown = EXCLUDE


TEXT_ERRORS: dict[str, str | list[Any] | dict[Any, Any]] = {
    "nul": "Must not contain NUL characters.",
    "surrogate": "Must be valid Unicode text (no lone surrogates).",
}


def _checked(field: fields.Field[Any], text: str) -> str:
    """`text` unless it holds what PostgreSQL cannot store (NUL) or UTF-8 cannot encode (a lone surrogate).

    JSON may spell a lone UTF-16 surrogate ("\\ud800") and json.loads accepts it, but the str cannot be
    encoded: it would fail later, at hashing or at commit, as a 500.
    """
    if "\x00" in text:
        raise field.make_error("nul")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise field.make_error("surrogate") from None
    return text


class Text(fields.String):
    """Text taken exactly as sent (passwords): no NUL characters, no lone surrogates.

    Every string an input schema reads is a Text, a Str, an Email or a Url (a test checks it).
    """

    default_error_messages = TEXT_ERRORS

    def __init__(self, **kwargs: Any) -> None:
        validators = kwargs.get("validate")
        validators = validators if isinstance(validators, list | tuple) else [validators]
        non_blank = any(isinstance(v, validate.Length) and (v.min or 0) >= 1 for v in validators)
        metadata = {"pattern": NON_BLANK_TEXT_PATTERN if non_blank else TEXT_PATTERN}
        super().__init__(metadata=metadata | kwargs.pop("metadata", {}), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return _checked(self, super()._deserialize(value, attr, data, **kwargs))


class Str(Text):
    """Text, trimmed."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


def normalize_email(text: str) -> str:
    """The one spelling of an email address we store and compare: NFKC, trimmed, lower-case."""
    return unicodedata.normalize("NFKC", text).strip().lower()


class Email(fields.Email):
    """An email address, normalised (normalize_email) before validation."""

    default_error_messages = TEXT_ERRORS

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": EMAIL_PATTERN, "example": "ada@example.com"} | kwargs.pop("metadata", {})
        super().__init__(validate=validate.Length(max=254), metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str):
            value = normalize_email(_checked(self, value))
        return str(super()._deserialize(value, attr, data, **kwargs))


class Url(fields.Url):
    """An absolute URL, checked as Text before the URL validator runs."""

    default_error_messages = TEXT_ERRORS

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return _checked(self, super()._deserialize(value, attr, data, **kwargs))


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
        return amount.copy_abs().quantize(CENT)  # "-0.00" is zero, stored and shown as "0.00"


class UtcDateTime(fields.DateTime):
    """ISO 8601 in UTC with a trailing Z; naive input is taken as UTC."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        # isoformat() with "+00:00" as "Z", written by orjson's C code in a quarter of the time (a page shows 40)
        return orjson.dumps(value.astimezone(UTC), option=orjson.OPT_UTC_Z)[1:-1].decode()

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Day(fields.Date):
    """A calendar day, YYYY-MM-DD, from MIN_DAY to MAX_DAY."""

    default_error_messages = {"range": f"Must be a day from {MIN_DAY} to {MAX_DAY}."}

    def __init__(self, **kwargs: Any) -> None:
        metadata = kwargs.pop("metadata", {})
        described = f"{metadata.get('description', 'A day')}, from {MIN_DAY} to {MAX_DAY}"
        super().__init__(metadata=metadata | {"description": described}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        if not MIN_DAY <= day <= MAX_DAY:
            raise self.make_error("range")
        return day


def Id(**kwargs: Any) -> fields.Integer:  # noqa: N802 - reads like a field type
    """A database id: a strict positive integer that fits the column."""
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_INT), **kwargs)


class PageQuery(QuerySchema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100))


def page_of(item: type[Schema], **more: fields.Field[Any]) -> type[Schema]:
    """The {items, page, per_page, total, pages} envelope around a list of `item` (and `more` fields)."""
    name = item.__name__.removesuffix("Out") + "Page"
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
            "total": fields.Integer(required=True),
            "pages": fields.Integer(required=True),
            **more,
        },
        name=name,
    )


Dump = Callable[[Any], dict[str, Any]]


def plain_dump(schema: Schema) -> Dump:
    """`schema.dump` for hot reads: the same fields and values, each converted by its own field type, without
    marshmallow's lookups around every field (a page of 20 products: about 70 us of CPU instead of 420 us).

    For output schemas of attributes that are always there, without pre- or post-dump hooks; a list of a
    nested schema is dumped the same way. Plain string, integer and boolean fields take the value as it is:
    the objects dumped are typed (named tuples, dataclasses), so it already is a str, int or bool (or None).
    """
    if schema._hooks.get("pre_dump") or schema._hooks.get("post_dump"):
        raise ValueError(f"{type(schema).__name__} has dump hooks: use its dump()")
    keys: list[str] = []
    attributes: list[str] = []
    converters: list[tuple[str, str, Callable[..., Any]]] = []
    for name, field in schema.dump_fields.items():
        keys.append(field.data_key or name)
        attributes.append(field.attribute or name)
        if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
            converters.append((keys[-1], attributes[-1], _each(plain_dump(field.inner.schema))))
        elif type(field)._serialize not in _AS_IT_IS:
            converters.append((keys[-1], attributes[-1], field._serialize))
    values_of = attrgetter(*attributes)
    if len(attributes) == 1:  # attrgetter of one name gives the value, not a tuple
        values_of = attrgetter(*attributes, *attributes)

    def dump(obj: Any) -> dict[str, Any]:
        data = dict(zip(keys, values_of(obj), strict=False))
        for key, attribute, convert in converters:
            data[key] = convert(data[key], attribute, obj)
        return data

    return dump


_AS_IT_IS = {fields.String._serialize, fields.Integer._serialize, fields.Boolean._serialize}


def _each(dump: Dump) -> Callable[..., list[dict[str, Any]] | None]:
    def convert(values: Any, _attr: str, _obj: Any) -> list[dict[str, Any]] | None:
        return None if values is None else [dump(value) for value in values]

    return convert
