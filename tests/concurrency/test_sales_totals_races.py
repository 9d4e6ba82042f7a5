"""The analytics' totals (per day, and per product over all days) under real concurrent checkouts, cancellations
and status changes: nothing is lost, nothing deadlocks, and the totals and the analytics still equal a
recomputation from the sales."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from tests.builders import make_product, make_user
from tests.concurrency.harness import buyers, committed, headers_for, post_cancel, post_checkout, run_together
from tests.helpers import recomputed_analytics, recomputed_totals, stored_totals

pytestmark = [pytest.mark.concurrency, pytest.mark.sales, pytest.mark.usefixtures("truncate_after")]


def patch_status(headers: dict[str, str], sale_id: int, status: str) -> Callable[[Any], Any]:
    return lambda client: client.patch(f"/api/sales/admin/sales/{sale_id}", json={"status": status}, headers=headers)


def test_racing_checkouts_cancellations_and_status_changes_keep_the_totals_exact(race_app: Flask) -> None:
    products = committed(race_app, lambda: [make_product(db.session(), stock=1000) for _ in range(4)])
    people = buyers(race_app, 28, lambda i: {products[i % 4]: 1 + i % 3, products[(i + 1) % 4]: 1 + i % 2})
    admin = committed(race_app, lambda: headers_for(make_user(db.session(), role="admin")))

    first = run_together(race_app, [post_checkout(h, a) for h, a in people[:14]])
    assert [r.status for r in first] == [201] * 14
    sold = [(r.body["id"], people[i][0]) for i, r in enumerate(first)]
    # Checkouts of the same products on the same day, while owners and the admin move the first sales out of
    # (today, pending) into every other status row of today.
    calls = (
        [post_checkout(h, a) for h, a in people[14:]]
        + [post_cancel(owner, sale_id) for sale_id, owner in sold[:4]]
        + [patch_status(admin, sale_id, "paid") for sale_id, _owner in sold[4:9]]
        + [patch_status(admin, sale_id, "cancelled") for sale_id, _owner in sold[9:12]]
        + [post_cancel(admin, sale_id) for sale_id, _owner in sold[12:]]
    )
    replies = run_together(race_app, calls)

    assert [r.status for r in replies] == [201] * 14 + [200] * 14, [r.body for r in replies if r.status >= 300]
    with race_app.app_context():
        try:
            assert stored_totals(db.session()) == recomputed_totals(db.session())
            expected = recomputed_analytics(db.session())
        finally:
            db.session.remove()
    body = race_app.test_client().get("/api/sales/admin/sales?analytics=true", headers=admin).get_json()
    assert {name: value for name, value in body.items() if name != "currency"} == expected
    assert body["by_status"] == {"cancelled": 9, "paid": 5, "pending": 14}
