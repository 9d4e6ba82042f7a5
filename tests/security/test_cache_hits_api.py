"""An authenticated cache hit costs no PostgreSQL round trip at all: no statement, no pool checkout
(so no pre-ping either). The token is checked in the Redis blocklist, the caller comes from its claims."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from app.extensions import db
from tests.builders import make_cart, make_product, make_user, start_session

pytestmark = [pytest.mark.cache, pytest.mark.auth, pytest.mark.usefixtures("rate_limits_as_configured")]


def headers_of(app: Flask, role: str) -> dict[str, str]:
    """A committed user (with a cart) and a token of theirs."""
    with app.app_context():
        user = make_user(db.session, role=role)
        make_cart(db.session, user, {make_product(db.session, price="4.50"): 2})
        token = start_session(db.session, user).access
        db.session.commit()
        db.session.remove()
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("path", "role"),
    [("/api/sales/cart/total", "customer"), ("/api/sales/admin/sales?analytics=true", "admin")],
    ids=["cart-total", "admin-analytics"],
)
def test_an_authenticated_cache_hit_sends_nothing_to_postgresql(committing_app: Flask, path: str, role: str) -> None:
    headers = headers_of(committing_app, role)
    client = committing_app.test_client()
    first = client.get(path, headers=headers)  # fills the cache (and rebuilds the emptied blocklist)
    assert first.status_code == 200

    statements: list[str] = []
    checkouts: list[Any] = []
    with committing_app.app_context():
        engine = db.engine

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    def on_checkout(*args: Any) -> None:
        checkouts.append(args)

    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "checkout", on_checkout)
    try:
        hits = [client.get(path, headers=headers) for _ in range(3)]
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "checkout", on_checkout)
    assert [hit.status_code for hit in hits] == [200, 200, 200]
    assert all(hit.get_json() == first.get_json() for hit in hits)
    assert statements == []
    assert checkouts == []


def test_a_revoked_token_gets_no_cached_answer(committing_app: Flask) -> None:
    """The token check comes first: a cached body is never served to a logged-out token."""
    headers = headers_of(committing_app, "customer")
    client = committing_app.test_client()
    assert client.get("/api/sales/cart/total", headers=headers).status_code == 200
    assert client.post("/api/users/logout", headers=headers).status_code == 204
    response = client.get("/api/sales/cart/total", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["code"] == "token_revoked"
