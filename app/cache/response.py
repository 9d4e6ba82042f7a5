"""Cached JSON responses with ETags, read through at the API edge: one Redis round trip per hit."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import Response, current_app, g, request

from app.cache import entries, keys, stock, store
from app.cache.backend import Read
from app.utils import metrics

log = logging.getLogger("app.cache")

Items = Callable[[Any], list[dict[str, Any]]]
P = ParamSpec("P")
R = TypeVar("R")


def served_from_cache(
    key_of: Callable[..., keys.CacheKey | None], *, name: str, stock_of: stock.StockLoader | None = None
) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """Serve a current entry before the view runs, so a hit skips argument parsing too.

    `key_of(**view_args)` gives the entry's key, or None when this request cannot be a hit; on a
    miss the view runs as usual (and its cached_json stores the entry).
    """

    def decorate(view: Callable[P, R]) -> Callable[P, R | Response]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            cache_key = key_of(**kwargs)
            if cache_key is not None:
                read = store.read(
                    keys.generation_keys(*cache_key.families), cache_key.key, keys.stock_prefix() if stock_of else ""
                )
                hit = _hit(read, stock_of)
                if hit is not None:
                    metrics.cache_lookup(cache_key.families[0].split(":", 1)[0], hit=True)
                    log.debug("CACHE HIT: %s (key: %s)", name.format(**kwargs), cache_key.key)
                    return _respond(*hit)
                g.cache_missed = (cache_key.key, read)  # cached_json under the same key need not read again
            return view(*args, **kwargs)

        return wrapper

    return decorate


def _hit(read: Read, stock_of: stock.StockLoader | None) -> tuple[bytes, str] | None:
    entry = entries.decode(read.entry) if read.entry is not None else None
    if entry is None:
        return None
    if stock_of is not None:
        return entries.fill(entry, stock.resolve(entry.ids, read.stocks, stock_of))
    return entry.template, entry.etag


def _respond(body: bytes, etag: str) -> Response:
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    return response


def cached_json(
    cache_key: keys.CacheKey,
    ttl: int,
    render: Callable[[], Any],
    *,
    name: str,
    live_stock: tuple[Items, stock.StockLoader] | None = None,
) -> Response:
    """The JSON `render()` would give, from the cache when its families' generations still match; 304
    when the ETag matches. A hit touches neither the database nor a schema; with `live_stock`
    (which dicts of the rendered data are products, and how to read stock) the stock shown is live.

    `cache_key` comes from app.cache.keys. A `ttl` of 0 never stores, so it never reads either.
    """
    if ttl <= 0:
        body = _dumps(render())
        return _respond(body, entries.etag_of(body))
    key = cache_key.key
    family = cache_key.families[0].split(":", 1)[0]
    missed = g.pop("cache_missed", None)
    if missed is not None and missed[0] == key:
        read = missed[1]
    else:
        read = store.read(keys.generation_keys(*cache_key.families), key, keys.stock_prefix() if live_stock else "")
    hit = _hit(read, live_stock[1] if live_stock else None)
    if hit is not None:
        metrics.cache_lookup(family, hit=True)
        log.debug("CACHE HIT: %s (key: %s)", name, key)
        return _respond(*hit)
    body, etag = _render(key, ttl, render, read.generations, live_stock)
    metrics.cache_lookup(family, hit=False)
    log.debug("CACHE MISS: %s - Cached for %ss (key: %s)", name, ttl, key)
    return _respond(body, etag)


def _render(
    key: str, ttl: int, render: Callable[[], Any], generations: str | None, live_stock: tuple[Items, Any] | None
) -> tuple[bytes, str]:
    data = render()
    if not live_stock or generations is None:  # nothing to template: it will not be kept
        body = _dumps(data)
        entry = entries.Entry([], entries.etag_of(body), body)
        _keep(key, ttl, generations, entry)
        return body, entry.etag
    products = live_stock[0](data)
    live = {int(p["id"]): int(p["stock"]) for p in products}
    for product in products:
        product["in_stock"] = product["stock"] = entries.PLACEHOLDER
    template = entries.template_of(_dumps(data), list(live))
    if template is None:  # pragma: no cover - a schema whose keys do not sort as expected
        log.error("%s: cannot template the stock of this body; not cached", key)
        for product in products:
            product["stock"] = live[int(product["id"])]
            product["in_stock"] = product["stock"] > 0
        body = _dumps(data)
        return body, entries.etag_of(body)
    entry = entries.Entry(list(live), entries.etag_of(template), template)
    if _keep(key, ttl, generations, entry):
        stock.remember(live)
    return entries.fill(entry, list(live.values()))


def _dumps(data: Any) -> bytes:
    return current_app.json.dumps(data, separators=(",", ":")).encode()


def _keep(key: str, ttl: int, generations: str | None, entry: entries.Entry) -> bool:
    """Store the entry unless the generations are unknown (cache unreachable) or it is over the size cap."""
    if generations is None or ttl <= 0:
        return False
    if len(entry.template) > current_app.config["CACHE_MAX_ENTRY_BYTES"]:
        log.debug("not cached, %d bytes is over CACHE_MAX_ENTRY_BYTES: %s", len(entry.template), key)
        return False
    store.put(key, entries.encode(generations, entry), ttl)
    return True
