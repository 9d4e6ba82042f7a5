"""The one place that spells cache keys.

Each key embeds a generation number per family; a write bumps the generation (one INCR),
so every process sees fresh data on its next read and old entries simply expire.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any

from app.cache import store

log = logging.getLogger("app.cache")

CATALOG = "catalog"
ADMIN_SALES = "admin_sales"


def cart_family(user_id: int) -> str:
    return f"cart:{user_id}"


def _generation_key(family: str) -> str:
    return f"gen:{family}"


def generations(*families: str) -> list[str]:
    """Current generation of each family, in one round trip."""
    values = store.get_many(*(_generation_key(f) for f in families))
    result = []
    for family, value in zip(families, values, strict=True):
        if value is None:
            # Missing (first use, flush or eviction): start from a value no old entry can carry.
            store.add(_generation_key(family), time.time_ns())
            value = store.get(_generation_key(family))
        # Unknown (cache unreachable): a key no other request will ever read, so nothing stale is shared.
        result.append(str(value) if value is not None else f"none-{uuid.uuid4().hex}")
    return result


def bump(*families: str) -> None:
    """Invalidate every entry of these families. Call after commit."""
    for family in families:
        store.incr(_generation_key(family))
        log.debug("%s cache invalidated", family)


def _canonical(query: Mapping[str, Any]) -> str:
    return json.dumps(query, sort_keys=True, default=str, separators=(",", ":"))


def catalog_list(query: Mapping[str, Any]) -> str:
    (generation,) = generations(CATALOG)
    return f"{CATALOG}:{generation}:list:{_canonical(query)}"


def product_detail(product_id: int) -> str:
    (generation,) = generations(CATALOG)
    return f"{CATALOG}:{generation}:product:{product_id}"


def cart_total(user_id: int) -> str:
    # Prices live in the catalog: a price change must reach every cart total too.
    cart_generation, catalog_generation = generations(cart_family(user_id), CATALOG)
    return f"cart:{user_id}:{cart_generation}:{catalog_generation}:total"


def admin_sales(query: Mapping[str, Any]) -> str:
    (generation,) = generations(ADMIN_SALES)
    return f"{ADMIN_SALES}:{generation}:{_canonical(query)}"


def catalog_count(filters: Mapping[str, Any]) -> str:
    """The number of products matching `filters` (no page, no sort), for the current catalog."""
    (generation,) = generations(CATALOG)
    return f"{CATALOG}:{generation}:count:{_canonical(filters)}"
