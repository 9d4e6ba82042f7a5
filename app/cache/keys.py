"""The one place that spells cache keys.

An entry's key names what it holds (no generation in it); the entry itself carries the generations
of its families, and a read compares them with the current ones in the same round trip. A write
bumps a generation, so every process sees fresh data on its next read; a new entry overwrites the
old one in place, so each distinct query holds at most one entry at a time.

Families: `catalog` (lists, details), `catalog_members` and `catalog_members:<field>` (the numbers of
matches, see app/cache/counts.py), `cart:<user>` (that user's cart total), `admin_sales`.
Live stock has its own keys, one per product (`stock:<id>`), see app/cache/stock.py.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from flask import current_app

from app.cache import store

log = logging.getLogger("app.cache")

CATALOG = "catalog"
# Which products the catalog holds (created, archived, restored): every count depends on it.
MEMBERS = "catalog_members"
ADMIN_SALES = "admin_sales"
# The product field each list filter reads (CatalogQuery in app/repos/product_repo.py). A count under a
# filter also depends on the family of that field, bumped only when some product's value of it changes.
FILTER_FIELDS = {"q": "text", "category": "category", "min_price": "price", "max_price": "price", "in_stock": "stock"}


@dataclass(frozen=True)
class CacheKey:
    """An entry's key and the families whose generations it must match."""

    key: str
    families: tuple[str, ...]

    def __str__(self) -> str:
        return self.key


def cart_family(user_id: int) -> str:
    return f"cart:{user_id}"


def members_family(field: str) -> str:
    """The family of the counts whose filters read `field` (a value of FILTER_FIELDS)."""
    return f"{MEMBERS}:{field}"


def _prefix() -> str:
    prefix: str = current_app.config["CACHE_KEY_PREFIX"]
    return prefix


def generation_key(family: str) -> str:
    return f"{_prefix()}g:{family}"


def generation_keys(*families: str) -> list[str]:
    prefix = _prefix()
    return [f"{prefix}g:{family}" for family in families]


def stock_prefix() -> str:
    return f"{_prefix()}stock:"


def stock_key(product_id: int) -> str:
    return f"{_prefix()}stock:{product_id}"


def bump(*families: str) -> None:
    """Invalidate every entry of these families, on every process. Call after commit."""
    store.bump(generation_keys(*families))
    for family in families:
        log.debug("%s cache invalidated", family)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 5, 5.0 and 5.00 are one price
    return str(value)


def canonical(query: Mapping[str, Any]) -> str:
    """One spelling per meaning: sorted keys, no whitespace, decimals normalised."""
    return json.dumps(query, sort_keys=True, default=_plain, separators=(",", ":"))


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


# Parameters at their default value are left out of a list query's canonical form.
_LIST_DEFAULTS = frozenset({"page=1", "per_page=20", "include_archived=false"})


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return quote(_plain(value) if isinstance(value, Decimal) else str(value), safe="")


def _list_form(parts: list[str]) -> str:
    return "&".join(sorted(p for p in parts if p not in _LIST_DEFAULTS))


def catalog_list(query: Mapping[str, Any]) -> CacheKey:
    """A catalog page, by the canonical query string of its validated query (sorted, defaults left out)."""
    form = _list_form([f"{name}={_query_value(value)}" for name, value in query.items()])
    return CacheKey(f"{_prefix()}e:{CATALOG}:list:{_digest(form)}", (CATALOG,))


def catalog_list_as_sent(query_string: bytes) -> CacheKey | None:
    """The key a query string has when it is already in canonical form (in any order), before any parsing:
    a hit under it was stored by a validated query that meant exactly this. None where it never can be."""
    if b"include_archived" in query_string:  # admin listings are never cached
        return None
    try:
        parts = query_string.decode("ascii").split("&") if query_string else []
    except UnicodeDecodeError:
        return None
    return CacheKey(f"{_prefix()}e:{CATALOG}:list:{_digest(_list_form(parts))}", (CATALOG,))


def product_detail(product_id: int) -> CacheKey:
    return CacheKey(f"{_prefix()}e:{CATALOG}:product:{product_id}", (CATALOG,))


def catalog_count(filters: Mapping[str, Any]) -> CacheKey:
    """The number of products matching `filters` (no page, no sort): kept across catalog edits, until the
    membership changes or a product's value of a field these filters read does."""
    fields = sorted(
        {FILTER_FIELDS[name] for name, value in filters.items() if name in FILTER_FIELDS and value is not None}
    )
    families = (MEMBERS, *(members_family(field) for field in fields))
    return CacheKey(f"{_prefix()}e:{CATALOG}:count:{_digest(canonical(filters))}", families)


def cart_total(user_id: int) -> CacheKey:
    # Prices live in the catalog: a price change must reach every cart total too.
    return CacheKey(f"{_prefix()}e:cart:{user_id}:total", (cart_family(user_id), CATALOG))


def admin_sales(query: Mapping[str, Any]) -> CacheKey:
    return CacheKey(f"{_prefix()}e:{ADMIN_SALES}:{_digest(canonical(query))}", (ADMIN_SALES,))
