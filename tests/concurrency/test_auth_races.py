"""Races decided by PostgreSQL: refresh rotation and the last admin (real commits, real threads)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import User
from tests.builders import PASSWORD, make_user, start_session
from tests.helpers import truncate_all

pytestmark = [pytest.mark.concurrency, pytest.mark.auth, pytest.mark.usefixtures("rate_limits_as_configured")]


def run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start every call at once (threads released by a barrier); return their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_concurrent_refreshes_with_one_token_have_one_winner(committing_app: Flask) -> None:
    client = committing_app.test_client()
    with committing_app.app_context():
        user = make_user(db.session)
        db.session.commit()
        email = user.email
        db.session.remove()
    tokens = client.post("/api/users/login", json={"email": email, "password": PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {tokens['refresh_token']}"}

    def refresh() -> int:
        return committing_app.test_client().post("/api/users/refresh", headers=headers).status_code

    statuses = run_together([refresh] * 6)
    assert sorted(statuses) == [200, 401, 401, 401, 401, 401]


def demote(app: Flask, target: int, token: str) -> int:
    response = app.test_client().patch(
        f"/api/users/{target}", json={"role": "customer"}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


def test_two_admins_demoting_each_other_leave_one_admin(committing_app: Flask) -> None:
    """Without the row locks both demotions could pass the "another admin remains" check."""
    for _round in range(5):
        with committing_app.app_context():
            truncate_all(db.session.connection())
            first, second = make_user(db.session, role="admin"), make_user(db.session, role="admin")
            first_token, second_token = start_session(db.session, first), start_session(db.session, second)
            db.session.commit()
            ids = (first.id, second.id)
            db.session.remove()

        statuses = run_together(
            [
                partial(demote, committing_app, ids[1], first_token.access),
                partial(demote, committing_app, ids[0], second_token.access),
            ]
        )
        # The loser was demoted first: its token is void (401, the demotion's mark) or, already past the
        # token check, it finds one admin left (409).
        assert sorted(statuses) in ([200, 401], [200, 403], [200, 409]), statuses
        with committing_app.app_context():
            admins = db.session.scalars(select(User.id).where(User.role == "admin", User.is_active)).all()
            db.session.remove()
        assert len(admins) == 1
