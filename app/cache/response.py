"""Cached JSON responses with ETags, read through at the API edge."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from flask import Response, json, request

from app.cache import store

log = logging.getLogger("app.cache")


def cached_json(key: str, ttl: int, render: Callable[[], Any], *, name: str) -> Response:
    """The JSON `render()` would give, from the cache when present; 304 when the ETag matches.

    A hit touches neither the database nor a schema. `key` must come from app.cache.keys.
    """
    entry = store.get(key)
    if entry is None:
        body = json.dumps(render())
        etag = hashlib.sha256(body.encode()).hexdigest()[:32]
        store.put(key, (etag, body), ttl)
        log.debug("CACHE MISS: %s - Cached for %ss (key: %s)", name, ttl, key)
    else:
        etag, body = entry
        log.debug("CACHE HIT: %s (key: %s)", name, key)
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    return response
