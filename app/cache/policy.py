"""What the catalog caches, and for how long: the memory bound.

Every distinct list query is its own entry, so a client could mint entries without end
(`min_price=0.01`, `0.02`, ...). The bound:

- one entry per meaning: the key is the canonical form of the validated query (app.cache.keys);
  each entry is overwritten in place by the next generation, never accumulated;
- the head (no search, no price bounds, page <= CATALOG_HEAD_PAGES, a usual page size) keeps
  CATALOG_LIST_TTL; everything else, the long tail, lives CATALOG_TAIL_TTL (60 s): at a client's rate
  limit (RATELIMIT_DEFAULT, 300/min) one client holds at most ~300 tail entries at any moment;
- admin listings with archived products are never cached;
- the number of matches of a filter set keeps CATALOG_COUNT_TTL, even when pages are not stored at
  all (both list TTLs 0): a count entry is one number with its generations (a few hundred bytes), so
  a client minting searches at its rate limit (300/min) holds at most 18,000 of them (~5 MiB);
- no entry is larger than CACHE_MAX_ENTRY_BYTES (a bigger body is served, not cached);
- Redis itself: maxmemory with an eviction policy (README, Caching) as the last word.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app

HEAD_PAGE_SIZES = frozenset({10, 12, 20, 24, 25, 48, 50, 100})


def _config(name: str) -> int:
    value: int = current_app.config[name]
    return value


def is_head(query: Mapping[str, Any]) -> bool:
    """A list query of the bounded head: browsing, not searching."""
    return (
        query.get("q") is None
        and query.get("min_price") is None
        and query.get("max_price") is None
        and int(query.get("page", 1)) <= _config("CATALOG_HEAD_PAGES")
        and int(query.get("per_page", 20)) in HEAD_PAGE_SIZES
    )


def list_ttl(query: Mapping[str, Any]) -> int:
    """Seconds a list page may stay cached; 0: not cached at all."""
    if query.get("include_archived"):
        return 0
    return _config("CATALOG_LIST_TTL") if is_head(query) else _config("CATALOG_TAIL_TTL")


def lists_cached() -> bool:
    """False when no list page is ever stored (CATALOG_LIST_TTL and CATALOG_TAIL_TTL both 0)."""
    return _config("CATALOG_LIST_TTL") > 0 or _config("CATALOG_TAIL_TTL") > 0


def count_ttl(filters: Mapping[str, Any]) -> int:
    """Seconds the number of matches of a filter set may stay cached, whatever its pages do."""
    return 0 if filters.get("include_archived") else _config("CATALOG_COUNT_TTL")
