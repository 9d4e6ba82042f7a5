"""Cached numbers (how many products match a filter set), kept until the catalog's membership changes.

A count entry carries the generation of `catalog_members` (products created, archived, restored) and one
per product field its filters read (keys.FILTER_FIELDS), never the catalog's own: an admin edit of a field
no filter reads, or of a price when the filters set no price bound, keeps the count, and so does a sale
that leaves the product in stock. `moved()` names the families a write has to bump.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.cache import entries, keys, policy, store
from app.models import Product

Filtered = dict[str, object]


def filtered(product: Product) -> Filtered:
    """What the list filters read of `product` (app/repos/product_repo.py, `_conditions`), by family."""
    return {
        keys.MEMBERS: product.is_active,
        keys.members_family("text"): (product.name, product.description),
        keys.members_family("category"): product.category,
        keys.members_family("price"): product.price,
        keys.members_family("stock"): product.stock > 0,
    }


def moved(before: Filtered | None, after: Filtered) -> list[str]:
    """The families whose counts a write from `before` (None: a new product) to `after` may have changed."""
    if before is None or before[keys.MEMBERS] != after[keys.MEMBERS]:
        return [keys.MEMBERS]
    if not after[keys.MEMBERS]:
        return []  # archived before and after: no count sees it
    return [family for family, value in after.items() if before[family] != value]


def cached_count(key: keys.CacheKey, filters: Mapping[str, Any], count: Callable[[], int]) -> int:
    """The cached number for `key` when its families are unchanged since; else `count()`, kept."""
    read = store.read(keys.generation_keys(*key.families), key.key)
    entry = entries.decode(read.entry) if read.entry is not None else None
    if entry is not None and entry.template.isdigit():
        return int(entry.template)
    total = count()
    ttl = policy.count_ttl(filters)
    if read.generations is not None and ttl > 0:
        store.put(key.key, entries.encode(read.generations, entries.Entry([], "", str(total).encode())), ttl)
    return total
