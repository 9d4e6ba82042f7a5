"""Concurrent adds to one address book never take it past the cap (real commits, real threads)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.models import DeliveryAddress
from tests.builders import make_address, make_user
from tests.concurrency.harness import committed, headers_for, read, run_together

pytestmark = [pytest.mark.concurrency, pytest.mark.usefixtures("truncate_after", "rate_limits_as_configured")]
ADDRESS = {"recipient_name": "Al", "line1": "1 Main", "city": "Springfield", "postal_code": "12345", "country": "US"}


def test_eight_adds_at_once_to_a_book_with_room_for_two_add_two(race_app: Flask) -> None:
    def build() -> tuple[int, dict[str, str]]:
        from app.extensions import db

        user = make_user(db.session())
        for _ in range(race_app.config["MAX_ADDRESSES_PER_USER"] - 2):
            make_address(db.session(), user)
        return user.id, headers_for(user)

    user_id, headers = committed(race_app, build)

    def add(client: Any) -> Any:
        return client.post("/api/users/me/addresses", json=ADDRESS, headers=headers)

    replies = run_together(race_app, [add] * 8)
    assert sorted(reply.status for reply in replies) == [201] * 2 + [409] * 6
    assert {reply.body["code"] for reply in replies if reply.status == 409} == {"address_book_full"}
    count = read(race_app, select(func.count()).where(DeliveryAddress.user_id == user_id))
    assert count == [(race_app.config["MAX_ADDRESSES_PER_USER"],)]
