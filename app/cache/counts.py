"""Cached numbers (how many products match a filter set), under the catalog generation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.cache import entries, keys, policy, store


def cached_count(key: keys.CacheKey, filters: Mapping[str, Any], count: Callable[[], int]) -> int:
    """The cached number for `key` when it belongs to the current catalog; else `count()`, kept."""
    read = store.read(keys.generation_keys(*key.families), key.key)
    entry = entries.decode(read.entry) if read.entry is not None else None
    if entry is not None and entry.template.isdigit():
        return int(entry.template)
    total = count()
    ttl = policy.count_ttl(filters)
    if read.generations is not None and ttl > 0:
        store.put(key.key, entries.encode(read.generations, entries.Entry([], "", str(total).encode())), ttl)
    return total
