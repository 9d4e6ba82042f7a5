"""REST endpoints: one Blueprint per resource under /api.

Every view has the same shape: parse input with a schema (flask-smorest's `@bp.arguments`), build
its service with what the service needs (`shop()` for the shop settings), call one service method
with the caller (`current_caller()`) and keyword arguments, and return the result for `@bp.response`
to dump.
"""

from __future__ import annotations

from flask import current_app

from app.config import ShopSettings


def shop() -> ShopSettings:
    """The shop settings, built from the config when the app was created."""
    settings: ShopSettings = current_app.extensions["shop"]
    return settings
