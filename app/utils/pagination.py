"""A page of results, as the list endpoints return it, and the opaque cursors that continue a list."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

T = TypeVar("T")

CURSOR_MAX = 512  # characters; real cursors are about 120
_ID_MAX = 2**31 - 1


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int
    next_cursor: str | None = None

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page) if self.total else 0


@dataclass(frozen=True)
class Cursor:
    """Where a list continues: after the row with this sort key and id, as page `page`.

    `scope` fingerprints the filters, sort and page size the cursor was made under; `sort` names
    the order the key belongs to ("name", "price", "created_at" or "relevance").
    """

    page: int
    sort: str
    key: str | int | Decimal | datetime
    id: int
    scope: str

    def encode(self) -> str:
        key = self.key.isoformat() if isinstance(self.key, datetime) else self.key
        body = {"p": self.page, "s": self.sort, "k": str(key) if isinstance(key, Decimal) else key, "i": self.id}
        raw = json.dumps({**body, "f": self.scope}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def scope_of(**query: Any) -> str:
    """A short fingerprint of a list's filters, sort and page size: a cursor only continues its own list."""
    canonical = json.dumps(query, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def parse_cursor(text: str, scope: str) -> Cursor:
    """The cursor `text` encodes, made under `scope`. Raises ValueError (with a message for the client)."""
    if len(text) > CURSOR_MAX:
        raise ValueError("Not a valid cursor.")
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("Not a valid cursor.") from None
    if not isinstance(data, dict) or set(data) != {"p", "s", "k", "i", "f"}:
        raise ValueError("Not a valid cursor.")
    page, sort, key, row_id = data["p"], data["s"], data["k"], data["i"]
    if not (_is_int(page) and 1 < page <= _ID_MAX and _is_int(row_id) and 1 <= row_id <= _ID_MAX):
        raise ValueError("Not a valid cursor.")
    if data["f"] != scope:
        raise ValueError("This cursor belongs to other filters, another sort or page size: send the same ones.")
    return Cursor(page=page, sort=sort, key=_key(sort, key), id=row_id, scope=scope)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _key(sort: str, value: object) -> str | int | Decimal | datetime:
    if sort == "name" and isinstance(value, str) and len(value) <= 1000:
        return value
    if sort == "relevance" and _is_int(value) and value in (0, 1):
        return int(str(value))
    if sort == "price" and isinstance(value, str) and len(value) <= 40:
        try:
            price = Decimal(value)
        except InvalidOperation:
            raise ValueError("Not a valid cursor.") from None
        if price.is_finite():
            return price
    if sort == "created_at" and isinstance(value, str) and len(value) <= 40:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("Not a valid cursor.") from None
        if moment.tzinfo is not None:
            return moment
    raise ValueError("Not a valid cursor.")
