"""A refresh racing a demotion never yields a live token with the old role (real commits, real threads).

The refresh reads the role under a share lock and stamps the token with the database's time of that
read; the demotion locks the row and stamps its mark after. Whichever wins, a token that still says
"admin" was issued before the mark, and is refused."""

from __future__ import annotations

from functools import partial

import pytest
from flask import Flask

from app.extensions import db
from tests.api.test_auth_api import claims_of
from tests.builders import PASSWORD, make_user
from tests.concurrency.test_auth_races import run_together

pytestmark = [pytest.mark.concurrency, pytest.mark.auth, pytest.mark.usefixtures("rate_limits_as_configured")]

ROUNDS = 8


def refresh(app: Flask, refresh_token: str) -> dict[str, str]:
    response = app.test_client().post("/api/users/refresh", headers={"Authorization": f"Bearer {refresh_token}"})
    body: dict[str, str] = response.get_json()
    return body


def demote(app: Flask, user_id: int, access_token: str) -> int:
    headers = {"Authorization": f"Bearer {access_token}"}
    return app.test_client().patch(f"/api/users/{user_id}", json={"role": "customer"}, headers=headers).status_code


def test_a_refresh_racing_a_demotion_never_keeps_admin_rights(committing_app: Flask) -> None:
    client = committing_app.test_client()
    for _round in range(ROUNDS):
        with committing_app.app_context():
            target, boss = make_user(db.session, role="admin"), make_user(db.session, role="admin")
            db.session.commit()
            target_id, emails = target.id, (target.email, boss.email)
            db.session.remove()
        target_tokens, boss_tokens = (
            client.post("/api/users/login", json={"email": email, "password": PASSWORD}).get_json() for email in emails
        )
        renewed, demoted = run_together(
            [
                partial(refresh, committing_app, target_tokens["refresh_token"]),
                partial(demote, committing_app, target_id, boss_tokens["access_token"]),
            ]
        )
        assert demoted == 200
        role = claims_of(renewed["access_token"])["role"]
        status = client.get("/api/users", headers={"Authorization": f"Bearer {renewed['access_token']}"}).status_code
        # An "admin" token was minted from the row before the demotion: void. A "customer" one: valid, not admin.
        assert (role, status) in {("admin", 401), ("customer", 403)}, (role, status)
