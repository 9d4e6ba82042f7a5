"""Live stock under cached catalog responses.

Cached catalog entries hold everything but stock; each product's stock is its own small key
(`stock:<id>`, the number as text) read in the same round trip as the entry and written into the body.

- After a checkout, a cancellation or an admin change commits, `changed()` replaces the stock keys
  of the products it touched with unique tombstones, and bumps the catalog generation and the counts
  that filter on stock only when a product went in or out of stock (the `in_stock` pages and their
  counts depend on that).
- A read that finds a tombstone or no value reads those products' stock from PostgreSQL (one
  statement) and writes it back only if the key still holds what the read saw, so a value read
  before a sale committed can never overwrite that sale's tombstone.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence

from flask import current_app

from app.cache import keys, store
from app.utils import metrics

log = logging.getLogger("app.cache")

StockLoader = Callable[[list[int]], Mapping[int, int]]


def _ttl() -> int:
    ttl: int = current_app.config["STOCK_TTL"]
    return ttl


def changed(before: Mapping[int, int], after: Mapping[int, int]) -> None:
    """Stock of these products changed (committed): every reader sees `after` from its next read on."""
    if not after:
        return
    store.mark_stale([keys.stock_key(pid) for pid in sorted(after)], _ttl())
    flipped = sorted(pid for pid, stock in after.items() if (before.get(pid, 0) > 0) != (stock > 0))
    if flipped:
        log.debug("products %s went in or out of stock", flipped)
        keys.bump(keys.CATALOG, keys.members_family("stock"))


def invalidate(product_ids: Sequence[int]) -> None:
    """Forget these products' stock values (an admin write; the catalog generation is bumped anyway)."""
    if product_ids:
        store.mark_stale([keys.stock_key(pid) for pid in product_ids], _ttl())


def remember(stocks: Mapping[int, int]) -> None:
    """Stock just read with a page from PostgreSQL: kept where no value (nor tombstone) is yet."""
    if stocks:
        store.add_many({keys.stock_key(pid): str(s).encode() for pid, s in stocks.items()}, _ttl())


def resolve(ids: Sequence[int], seen: Sequence[bytes | None], load: StockLoader) -> list[int]:
    """The stock of each id: the values read with the entry, and PostgreSQL for those missing."""
    if len(seen) == len(ids) and all(seen):
        try:
            return [int(raw) for raw in seen if raw]  # the usual case: every value there (a tombstone fails)
        except ValueError:
            pass
    values: list[int | None] = [None] * len(ids)
    if len(seen) == len(ids):
        for i, raw in enumerate(seen):
            if raw and raw[:1] != b"~":
                with contextlib.suppress(ValueError):
                    values[i] = int(raw)
    missing = [i for i, v in enumerate(values) if v is None]
    if missing:
        loaded = load([ids[i] for i in missing])
        metrics.stock_refills(keys.CATALOG, len(missing))
        for i in missing:
            values[i] = loaded.get(ids[i], 0)
        store.refill(
            [keys.stock_key(ids[i]) for i in missing],
            [seen[i] if len(seen) == len(ids) else None for i in missing],
            [str(values[i]).encode() for i in missing],
            _ttl(),
        )
    return [v or 0 for v in values]
