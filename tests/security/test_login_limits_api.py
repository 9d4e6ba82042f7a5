"""Login limits that attackers can neither use to lock an owner out nor out-guess (OWASP device cookies).

Failed attempts count per account; a login carrying a valid device token of the account counts
against that token's own limit instead. Wrong current passwords and email_taken answers of
PATCH /api/users/me count against the account's limit too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import DeviceToken, User
from app.models.base import utcnow
from tests.api.test_auth_api import assert_problem, assert_rate_limited, bearer, limited_app
from tests.builders import PASSWORD, make_user

__all__ = ["limited_app"]  # the fixture, shared with the rate-limit tests of test_auth_api
pytestmark = [pytest.mark.auth, pytest.mark.usefixtures("rate_limits_as_configured")]

LIMITS = {
    "RATELIMIT_LOGIN": "100 per minute",  # per client address: out of the way here
    "RATELIMIT_LOGIN_ACCOUNT": "3 per minute",
    "RATELIMIT_LOGIN_DEVICE": "2 per minute",
}
WRONG = "not the password at all"


@pytest.fixture
def client(
    limited_app: Callable[..., Flask], share_test_transaction: Callable[[Flask], Flask], db_session: Session
) -> FlaskClient:
    return share_test_transaction(limited_app(**LIMITS)).test_client()


def post_login(client: FlaskClient, email: str, password: str, *, address: str, device_token: str | None = None) -> Any:
    body = {"email": email, "password": password} | ({"device_token": device_token} if device_token else {})
    return client.post("/api/users/login", json=body, environ_base={"REMOTE_ADDR": address})


def owner(db_session: Session) -> User:
    user = make_user(db_session)
    db_session.flush()
    return user


def device_token_of(client: FlaskClient, user: User) -> str:
    response = post_login(client, user.email, PASSWORD, address="10.1.0.1")
    assert response.status_code == 200
    token: str = response.get_json()["device_token"]
    return token


def strangers_fail(client: FlaskClient, email: str, times: int = 3) -> None:
    for n in range(times):
        assert post_login(client, email, WRONG, address=f"10.9.0.{n}").status_code == 401


def test_strangers_failing_on_an_account_do_not_lock_out_its_owner_with_a_device_token(
    client: FlaskClient, db_session: Session
) -> None:
    user = owner(db_session)
    device_token = device_token_of(client, user)
    strangers_fail(client, user.email)
    # Without the device token the owner is throttled like anyone...
    assert_rate_limited(post_login(client, user.email, PASSWORD, address="10.1.0.1"))
    # ...with it, not: the same token comes back.
    response = post_login(client, user.email, PASSWORD, address="10.1.0.1", device_token=device_token)
    assert response.status_code == 200
    assert response.get_json()["device_token"] == device_token


def test_distributed_guessing_without_a_device_token_is_still_throttled(
    client: FlaskClient, db_session: Session
) -> None:
    user = owner(db_session)
    strangers_fail(client, user.email)
    # A fourth guess from a fifth address is refused before the password is even checked, right or wrong.
    assert_rate_limited(post_login(client, user.email, WRONG, address="10.9.1.1"))
    assert_rate_limited(post_login(client, user.email, PASSWORD, address="10.9.1.2"))


def test_guessing_on_an_unknown_email_is_throttled_the_same(client: FlaskClient) -> None:
    strangers_fail(client, "nobody-here@example.com")
    assert_rate_limited(post_login(client, "nobody-here@example.com", WRONG, address="10.9.2.1"))


def test_successful_logins_are_not_counted(client: FlaskClient, db_session: Session) -> None:
    user = owner(db_session)
    for _ in range(5):
        assert post_login(client, user.email, PASSWORD, address="10.1.0.1").status_code == 200
    for n in range(2):
        assert post_login(client, user.email, WRONG, address=f"10.9.3.{n}").status_code == 401
    assert post_login(client, user.email, PASSWORD, address="10.1.0.1").status_code == 200


def test_a_device_token_has_its_own_small_limit_of_failures(client: FlaskClient, db_session: Session) -> None:
    user = owner(db_session)
    device_token = device_token_of(client, user)
    for _ in range(2):
        response = post_login(client, user.email, WRONG, address="10.1.0.1", device_token=device_token)
        assert_problem(response, 401, "invalid_credentials")
    assert_rate_limited(post_login(client, user.email, PASSWORD, address="10.1.0.1", device_token=device_token))
    # Those failures were the device token's, not the account's.
    assert post_login(client, user.email, PASSWORD, address="10.1.0.2").status_code == 200


def test_a_device_token_of_another_account_does_not_exempt(client: FlaskClient, db_session: Session) -> None:
    victim, attacker = owner(db_session), owner(db_session)
    attackers_token = device_token_of(client, attacker)
    for n in range(3):
        response = post_login(client, victim.email, WRONG, address=f"10.9.4.{n}", device_token=attackers_token)
        assert response.status_code == 401
    assert_rate_limited(post_login(client, victim.email, WRONG, address="10.9.4.9", device_token=attackers_token))


@pytest.mark.parametrize("kind", ["unknown", "expired"])
def test_an_unknown_or_expired_device_token_is_ignored_and_replaced(
    client: FlaskClient, db_session: Session, kind: str
) -> None:
    user = owner(db_session)
    device_token = "not-a-device-token" if kind == "unknown" else device_token_of(client, user)
    if kind == "expired":
        for device in db_session.scalars(select(DeviceToken).where(DeviceToken.user_id == user.id)):
            device.expires_at = utcnow() - timedelta(seconds=1)
        db_session.flush()
    strangers_fail(client, user.email)
    assert_rate_limited(post_login(client, user.email, PASSWORD, address="10.1.0.1", device_token=device_token))


def test_a_login_without_a_device_token_gets_a_new_one_stored_hashed(client: FlaskClient, db_session: Session) -> None:
    user = owner(db_session)
    first, second = device_token_of(client, user), device_token_of(client, user)
    assert first != second and len(first) >= 40
    db_session.expire_all()
    stored = db_session.scalars(select(DeviceToken.token_hash).where(DeviceToken.user_id == user.id)).all()
    assert len(stored) == 2
    assert first not in stored and second not in stored


def test_a_password_change_forgets_the_device_tokens(client: FlaskClient, db_session: Session) -> None:
    user = owner(db_session)
    device_token = device_token_of(client, user)
    access = post_login(client, user.email, PASSWORD, address="10.1.0.1").get_json()["access_token"]
    change = {"password": "an entirely new passphrase", "current_password": PASSWORD}
    assert client.patch("/api/users/me", json=change, headers=bearer(access)).status_code == 200
    strangers_fail(client, user.email)
    response = post_login(
        client, user.email, "an entirely new passphrase", address="10.1.0.1", device_token=device_token
    )
    assert_rate_limited(response)


def logged_in(client: FlaskClient, user: User) -> dict[str, str]:
    response = post_login(client, user.email, PASSWORD, address="10.1.0.1")
    return bearer(response.get_json()["access_token"])


def test_wrong_current_passwords_count_against_the_accounts_login_limit(
    client: FlaskClient, db_session: Session
) -> None:
    user = owner(db_session)
    headers = logged_in(client, user)
    guess = {"password": "an entirely new passphrase", "current_password": WRONG}
    for _ in range(2):
        assert_problem(client.patch("/api/users/me", json=guess, headers=headers), 422, "validation_error")
    assert post_login(client, user.email, WRONG, address="10.9.5.1").status_code == 401
    # Three failures, two of them at PATCH /me: the account's limit is reached for both.
    assert_rate_limited(client.patch("/api/users/me", json=guess, headers=headers))
    assert_rate_limited(post_login(client, user.email, PASSWORD, address="10.9.5.2"))
    db_session.expire_all()
    assert db_session.get(User, user.id).password_hash == user.password_hash  # type: ignore[union-attr]


def test_email_taken_answers_count_against_the_accounts_login_limit(client: FlaskClient, db_session: Session) -> None:
    user, others = owner(db_session), [owner(db_session) for _ in range(4)]
    headers = logged_in(client, user)
    for other in others[:3]:
        change = {"email": other.email, "current_password": PASSWORD}
        assert_problem(client.patch("/api/users/me", json=change, headers=headers), 409, "email_taken")
    change = {"email": others[3].email, "current_password": PASSWORD}
    assert_rate_limited(client.patch("/api/users/me", json=change, headers=headers))


def test_a_name_change_needs_no_password_and_is_not_limited(client: FlaskClient, db_session: Session) -> None:
    user = owner(db_session)
    headers = logged_in(client, user)
    strangers_fail(client, user.email)
    assert client.patch("/api/users/me", json={"name": "Still Me"}, headers=headers).status_code == 200
