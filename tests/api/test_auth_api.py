"""Register, login, refresh, logout, profile, and the security properties of the tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.extensions import db, limiter
from app.models import AuthSession, User
from app.models.base import utcnow
from app.utils.passwords import PROFILES
from tests.builders import PASSWORD, TokenPair, make_user
from tests.helpers import assert_problem

pytestmark = [pytest.mark.auth, pytest.mark.usefixtures("rate_limits_as_configured")]

NEW_PASSWORD = "a brand new passphrase"
Tokens = Callable[[User], TokenPair]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    """Log in over HTTP, as a client does; returns the token response."""
    response = client.post("/api/users/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def response_headers(client: FlaskClient, email: str) -> Any:
    return client.post("/api/users/login", json={"email": email, "password": PASSWORD}).headers


def sessions_of(db_session: Session, user: User) -> list[AuthSession]:
    db_session.expire_all()
    return list(db_session.scalars(select(AuthSession).where(AuthSession.user_id == user.id)))


# Register


def test_register_creates_a_customer_with_a_normalised_email(client: FlaskClient, db_session: Session) -> None:
    response = client.post(
        "/api/users/register", json={"email": "  Ada@Example.COM ", "password": "long enough", "name": "Ada"}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "ada@example.com"
    assert body["role"] == "customer"
    assert body["is_active"] is True
    assert "password" not in body and "password_hash" not in body
    stored = db_session.scalars(select(User).where(User.email == "ada@example.com")).one()
    assert stored.password_hash.startswith("$argon2id$")


def test_register_with_a_taken_email_in_another_case_is_409(client: FlaskClient, db_session: Session) -> None:
    make_user(db_session, email="taken@example.com")
    response = client.post(
        "/api/users/register", json={"email": "TAKEN@example.com", "password": "long enough", "name": "Other"}
    )
    assert_problem(response, 409, "email_taken")
    assert db_session.scalar(select(db.func.count()).select_from(User).where(User.email == "taken@example.com")) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("password", "7 chars"),
        ("password", "x" * 129),
        ("email", "not-an-email"),
        ("email", "a" * 250 + "@example.com"),
        ("name", ""),
        ("name", "n" * 121),
        ("name", "nul\x00name"),
    ],
    ids=["short-password", "long-password", "bad-email", "long-email", "empty-name", "long-name", "nul-in-name"],
)
def test_register_rejects_invalid_fields_with_422(
    client: FlaskClient, db_session: Session, field: str, value: str
) -> None:
    body = {"email": "new@example.com", "password": "long enough", "name": "New"} | {field: value}
    problem = assert_problem(client.post("/api/users/register", json=body), 422, "validation_error")
    assert field in problem["errors"]
    assert db_session.scalars(select(User).where(User.email == "new@example.com")).one_or_none() is None


def test_register_accepts_a_128_character_password(client: FlaskClient, db_session: Session) -> None:
    body = {"email": "long@example.com", "password": "p" * 128, "name": "Long"}
    assert client.post("/api/users/register", json=body).status_code == 201
    login(client, "long@example.com", "p" * 128)


@pytest.mark.parametrize(
    ("field", "value"), [("role", "admin"), ("is_active", False), ("id", 999)], ids=["role", "is_active", "id"]
)
def test_register_refuses_server_owned_fields(client: FlaskClient, db_session: Session, field: str, value: Any) -> None:
    body = {"email": "sneaky@example.com", "password": "long enough", "name": "Sneaky", field: value}
    problem = assert_problem(client.post("/api/users/register", json=body), 422, "validation_error")
    assert problem["errors"] == {field: ["Unknown field."]}
    assert db_session.scalars(select(User).where(User.email == "sneaky@example.com")).one_or_none() is None


# Login


def test_login_returns_tokens_and_the_user(client: FlaskClient, db_session: Session) -> None:
    user = make_user(db_session, email="login@example.com")
    body = login(client, " LOGIN@example.com")
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    assert body["user"]["id"] == user.id
    assert response_headers(client, user.email)["Cache-Control"] == "no-store"
    assert client.get("/api/users/me", headers=bearer(body["access_token"])).get_json()["email"] == user.email
    assert all(session.revoked_at is None for session in sessions_of(db_session, user))


def test_unknown_email_and_wrong_password_get_the_same_401(client: FlaskClient, db_session: Session) -> None:
    make_user(db_session, email="known@example.com")
    unknown = client.post("/api/users/login", json={"email": "nobody@example.com", "password": PASSWORD})
    wrong = client.post("/api/users/login", json={"email": "known@example.com", "password": "wrong password"})
    assert_problem(unknown, 401, "invalid_credentials")
    assert wrong.status_code == unknown.status_code
    assert wrong.get_json() == unknown.get_json()


class CountingHasher:
    """Wraps the app's argon2 hasher and records each verification."""

    def __init__(self, real: PasswordHasher) -> None:
        self.real = real
        self.verified: list[str] = []

    def verify(self, hash_: str, password: str) -> bool:
        self.verified.append(hash_)
        return self.real.verify(hash_, password)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_unknown_email_costs_a_password_verification(
    app: Flask, client: FlaskClient, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No shortcut for unknown emails: one argon2 verification (of a dummy hash), as for a wrong password."""
    make_user(db_session, email="known@example.com")
    counting = CountingHasher(app.extensions["passwords"].hasher)
    monkeypatch.setattr(app.extensions["passwords"], "hasher", counting)
    client.post("/api/users/login", json={"email": "nobody@example.com", "password": PASSWORD})
    client.post("/api/users/login", json={"email": "known@example.com", "password": "wrong password"})
    assert len(counting.verified) == 2
    assert all(hash_.startswith("$argon2id$") for hash_ in counting.verified)


def test_inactive_user_cannot_log_in(client: FlaskClient, db_session: Session) -> None:
    make_user(db_session, email="gone@example.com", is_active=False)
    response = client.post("/api/users/login", json={"email": "gone@example.com", "password": PASSWORD})
    assert_problem(response, 401, "invalid_credentials")


def test_login_upgrades_an_outdated_password_hash(client: FlaskClient, db_session: Session) -> None:
    old = PasswordHasher(time_cost=2, memory_cost=8, parallelism=1).hash(PASSWORD)
    user = make_user(db_session, password_hash=old)
    login(client, user.email)
    db_session.expire_all()
    assert user.password_hash != old
    assert not PROFILES["fast"].check_needs_rehash(user.password_hash)


# Refresh


def test_refresh_rotates_the_refresh_token(client: FlaskClient, db_session: Session) -> None:
    user = make_user(db_session)
    first = login(client, user.email)
    response = client.post("/api/users/refresh", headers=bearer(first["refresh_token"]))
    assert response.status_code == 200
    second = response.get_json()
    assert set(second) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get("/api/users/me", headers=bearer(second["access_token"])).status_code == 200
    assert client.post("/api/users/refresh", headers=bearer(second["refresh_token"])).status_code == 200


def test_reusing_a_spent_refresh_token_revokes_the_login(client: FlaskClient, db_session: Session) -> None:
    user = make_user(db_session)
    first = login(client, user.email)
    second = client.post("/api/users/refresh", headers=bearer(first["refresh_token"])).get_json()
    reused = client.post("/api/users/refresh", headers=bearer(first["refresh_token"]))
    assert_problem(reused, 401, "refresh_token_reused")
    # The whole login is gone: the legitimate holder of the rotated pair must sign in again.
    assert_problem(client.get("/api/users/me", headers=bearer(second["access_token"])), 401, "token_revoked")
    assert_problem(client.post("/api/users/refresh", headers=bearer(second["refresh_token"])), 401, "token_revoked")
    [session] = sessions_of(db_session, user)
    assert session.revoked_at is not None


def test_access_token_cannot_refresh(client: FlaskClient, db_session: Session) -> None:
    user = make_user(db_session)
    tokens = login(client, user.email)
    assert_problem(client.post("/api/users/refresh", headers=bearer(tokens["access_token"])), 401, "invalid_token")


def test_refresh_token_cannot_be_used_as_an_access_token(client: FlaskClient, db_session: Session) -> None:
    user = make_user(db_session)
    tokens = login(client, user.email)
    assert_problem(client.get("/api/users/me", headers=bearer(tokens["refresh_token"])), 401, "invalid_token")


# Logout and revocation


def test_logout_revokes_the_access_and_the_refresh_token(client: FlaskClient, db_session: Session) -> None:
    user = make_user(db_session)
    tokens = login(client, user.email)
    assert client.post("/api/users/logout", headers=bearer(tokens["access_token"])).status_code == 204
    assert_problem(client.get("/api/users/me", headers=bearer(tokens["access_token"])), 401, "token_revoked")
    assert_problem(client.post("/api/users/refresh", headers=bearer(tokens["refresh_token"])), 401, "token_revoked")
    [session] = sessions_of(db_session, user)
    assert session.revoked_at is not None


def test_logout_leaves_the_users_other_logins_alone(client: FlaskClient, db_session: Session) -> None:
    user = make_user(db_session)
    phone, laptop = login(client, user.email), login(client, user.email)
    client.post("/api/users/logout", headers=bearer(phone["access_token"]))
    assert client.get("/api/users/me", headers=bearer(laptop["access_token"])).status_code == 200


def test_the_refresh_token_of_an_expired_login_session_is_refused(
    client: FlaskClient, db_session: Session, auth_tokens: Tokens
) -> None:
    """A session expires a refresh lifetime after its last refresh, long after its last access token."""
    user = make_user(db_session)
    tokens = auth_tokens(user)
    login_session = db_session.get(AuthSession, tokens.session_id)
    assert login_session is not None
    login_session.expires_at = utcnow() - timedelta(seconds=1)
    db_session.flush()
    assert_problem(client.post("/api/users/refresh", headers=bearer(tokens.refresh)), 401, "token_revoked")


def test_logged_out_token_stays_revoked_after_a_redis_flush(
    client: FlaskClient, db_session: Session, redis_db: redis.Redis
) -> None:
    user = make_user(db_session)
    tokens = login(client, user.email)
    client.post("/api/users/logout", headers=bearer(tokens["access_token"]))
    redis_db.delete_run_keys()  # all the app wrote to Redis in this run
    assert_problem(client.get("/api/users/me", headers=bearer(tokens["access_token"])), 401, "token_revoked")
    assert_problem(client.post("/api/users/refresh", headers=bearer(tokens["refresh_token"])), 401, "token_revoked")


@pytest.fixture
def redis_down_app(make_app: Callable[..., Flask], share_test_transaction: Callable[[Flask], Flask]) -> Flask:
    """An app whose Redis (cache, blocklist, limiter storage) is a closed port, on this test's transaction."""
    dead = "redis://127.0.0.1:1/0"
    return share_test_transaction(make_app(REDIS_URL=dead, CACHE_REDIS_URL=dead, RATELIMIT_STORAGE_URI=dead))


def test_revoked_token_is_refused_while_redis_is_unreachable(redis_down_app: Flask, db_session: Session) -> None:
    client = redis_down_app.test_client()
    user = make_user(db_session)
    revoked, live = login(client, user.email), login(client, user.email)
    client.post("/api/users/logout", headers=bearer(revoked["access_token"]))
    assert_problem(client.get("/api/users/me", headers=bearer(revoked["access_token"])), 401, "token_revoked")
    # Without the blocklist every token is checked in PostgreSQL: live ones keep working (no 503 needed).
    assert client.get("/api/users/me", headers=bearer(live["access_token"])).status_code == 200


@pytest.fixture
def two_instances(make_app: Callable[..., Flask]) -> Iterator[tuple[Flask, Flask]]:
    """Two independent apps, each with its own engine and pool, over the same database.

    No shared test transaction here: what one instance commits, the other reads over its own
    connection, as two servers would. The users this test created are deleted afterwards.
    """
    first, second = make_app(), make_app()
    yield first, second
    with first.app_context():
        db.session.execute(delete(User).where(User.email.like("two-instances-%")))
        db.session.commit()
        db.session.remove()
    for instance in (first, second):
        with instance.app_context():
            db.engine.dispose()


def test_logout_on_one_instance_is_refused_on_another(two_instances: tuple[Flask, Flask]) -> None:
    first, second = (instance.test_client() for instance in two_instances)
    account = {"email": "two-instances-1@example.com", "password": "long enough", "name": "Two"}
    assert first.post("/api/users/register", json=account).status_code == 201
    tokens = login(first, account["email"], account["password"])
    assert second.get("/api/users/me", headers=bearer(tokens["access_token"])).status_code == 200
    assert first.post("/api/users/logout", headers=bearer(tokens["access_token"])).status_code == 204
    assert_problem(second.get("/api/users/me", headers=bearer(tokens["access_token"])), 401, "token_revoked")
    assert_problem(second.post("/api/users/refresh", headers=bearer(tokens["refresh_token"])), 401, "token_revoked")


def test_deactivated_users_token_is_refused_on_the_next_request(
    client: FlaskClient, db_session: Session, auth_headers: Callable[[User], dict[str, str]]
) -> None:
    user, admin = make_user(db_session), make_user(db_session, role="admin")
    headers = auth_headers(user)
    assert client.get("/api/users/me", headers=headers).status_code == 200
    response = client.patch(f"/api/users/{user.id}", json={"is_active": False}, headers=auth_headers(admin))
    assert response.status_code == 200
    assert_problem(client.get("/api/users/me", headers=headers), 401, "token_revoked")


def test_role_change_voids_tokens_issued_before_it_and_refresh_carries_the_new_role(
    client: FlaskClient, db_session: Session, auth_headers: Callable[[User], dict[str, str]], auth_tokens: Tokens
) -> None:
    user, admin = make_user(db_session), make_user(db_session, role="admin")
    tokens, admin_headers = auth_tokens(user), auth_headers(admin)
    assert_problem(client.get("/api/users", headers=bearer(tokens.access)), 403, "forbidden")

    client.patch(f"/api/users/{user.id}", json={"role": "admin"}, headers=admin_headers)
    assert_problem(client.get("/api/users", headers=bearer(tokens.access)), 401, "token_revoked")
    promoted = client.post("/api/users/refresh", headers=bearer(tokens.refresh)).get_json()
    assert claims_of(promoted["access_token"])["role"] == "admin"
    assert client.get("/api/users", headers=bearer(promoted["access_token"])).status_code == 200

    client.patch(f"/api/users/{user.id}", json={"role": "customer"}, headers=admin_headers)
    assert_problem(client.get("/api/users", headers=bearer(promoted["access_token"])), 401, "token_revoked")
    demoted = client.post("/api/users/refresh", headers=bearer(promoted["refresh_token"])).get_json()
    assert_problem(client.get("/api/users", headers=bearer(demoted["access_token"])), 403, "forbidden")


# Forged and broken tokens: only RS256 with our key verifies


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]


def unsigned(claims: dict[str, Any], header: dict[str, str]) -> str:
    return b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())


@pytest.fixture
def live_token(db_session: Session, auth_tokens: Tokens) -> str:
    """A valid access token of a live session: each forgery below starts from its claims."""
    return auth_tokens(make_user(db_session)).access


def forge_alg_none(token: str, _public_key: str) -> str:
    return unsigned(claims_of(token), {"alg": "none", "typ": "JWT"}) + "."


def forge_hs256_with_public_key(token: str, public_key: str) -> str:
    # PyJWT refuses to HMAC with a PEM key, so the attacker's token is built by hand.
    signing_input = unsigned(claims_of(token), {"alg": "HS256", "typ": "JWT"})
    signature = hmac.new(public_key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(signature)


def forge_tampered_claims(token: str, _public_key: str) -> str:
    header, _payload, signature = token.split(".")
    claims = claims_of(token) | {"sub": str(int(claims_of(token)["sub"]) + 1)}
    return header + "." + b64url(json.dumps(claims).encode()) + "." + signature


def forge_tampered_signature(token: str, _public_key: str) -> str:
    header, payload, signature = token.split(".")
    flipped = "A" if signature[10] != "A" else "B"
    return f"{header}.{payload}.{signature[:10]}{flipped}{signature[11:]}"


def forge_garbage(_token: str, _public_key: str) -> str:
    return "not.a.jwt"


@pytest.mark.parametrize(
    "forge",
    [forge_alg_none, forge_hs256_with_public_key, forge_tampered_claims, forge_tampered_signature, forge_garbage],
    ids=["alg-none", "hs256-with-public-key", "tampered-claims", "tampered-signature", "garbage"],
)
def test_forged_tokens_are_401(
    app: Flask, client: FlaskClient, live_token: str, forge: Callable[[str, str], str]
) -> None:
    assert client.get("/api/users/me", headers=bearer(live_token)).status_code == 200
    forged = forge(live_token, app.config["JWT_PUBLIC_KEY"])
    assert_problem(client.get("/api/users/me", headers=bearer(forged)), 401, "invalid_token")


def test_expired_token_is_401(app: Flask, client: FlaskClient, live_token: str) -> None:
    claims = claims_of(live_token)
    with app.app_context():
        expired = create_access_token(
            identity=claims["sub"], additional_claims={"sid": claims["sid"]}, expires_delta=timedelta(seconds=-5)
        )
    assert_problem(client.get("/api/users/me", headers=bearer(expired)), 401, "token_expired")


def test_token_without_a_login_session_is_401(app: Flask, client: FlaskClient, live_token: str) -> None:
    """A correctly signed token that names no session and no role (not one we mint) is not accepted."""
    with app.app_context():
        sessionless = create_access_token(identity=claims_of(live_token)["sub"])
    assert_problem(client.get("/api/users/me", headers=bearer(sessionless)), 401, "invalid_token")


def test_missing_token_is_401(client: FlaskClient) -> None:
    response = client.get("/api/users/me")
    assert_problem(response, 401, "missing_token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# Profile


def test_profile_name_change_needs_no_password(
    client: FlaskClient, db_session: Session, auth_headers: Callable[[User], dict[str, str]]
) -> None:
    user = make_user(db_session)
    response = client.patch("/api/users/me", json={"name": "  New Name "}, headers=auth_headers(user))
    assert response.status_code == 200
    assert response.get_json()["name"] == "New Name"
    db_session.expire_all()
    assert user.name == "New Name"


@pytest.mark.parametrize(
    "change", [{"password": NEW_PASSWORD}, {"email": "new-address@example.com"}], ids=["password", "email"]
)
def test_credential_change_without_current_password_is_422(
    client: FlaskClient, db_session: Session, auth_headers: Callable[[User], dict[str, str]], change: dict[str, str]
) -> None:
    user = make_user(db_session)
    response = client.patch("/api/users/me", json=change, headers=auth_headers(user))
    assert "current_password" in assert_problem(response, 422, "validation_error")["errors"]


def test_credential_change_with_a_wrong_current_password_is_422(
    client: FlaskClient, db_session: Session, auth_headers: Callable[[User], dict[str, str]]
) -> None:
    user = make_user(db_session)
    headers = auth_headers(user)
    before = user.password_hash
    body = {"password": NEW_PASSWORD, "current_password": "not my password"}
    response = client.patch("/api/users/me", json=body, headers=headers)
    assert assert_problem(response, 422, "validation_error")["errors"] == {
        "current_password": ["Does not match your current password."]
    }
    db_session.expire_all()
    assert user.password_hash == before


def test_password_change_revokes_other_logins_but_not_this_one(client: FlaskClient, db_session: Session) -> None:
    user = make_user(db_session)
    this, other = login(client, user.email), login(client, user.email)
    body = {"password": NEW_PASSWORD, "current_password": PASSWORD}
    assert client.patch("/api/users/me", json=body, headers=bearer(this["access_token"])).status_code == 200
    assert client.get("/api/users/me", headers=bearer(this["access_token"])).status_code == 200
    assert_problem(client.get("/api/users/me", headers=bearer(other["access_token"])), 401, "token_revoked")
    assert_problem(client.post("/api/users/refresh", headers=bearer(other["refresh_token"])), 401, "token_revoked")
    login(client, user.email, NEW_PASSWORD)
    old = client.post("/api/users/login", json={"email": user.email, "password": PASSWORD})
    assert_problem(old, 401, "invalid_credentials")


def test_email_change_is_normalised_and_used_for_login(
    client: FlaskClient, db_session: Session, auth_headers: Callable[[User], dict[str, str]]
) -> None:
    user = make_user(db_session)
    body = {"email": "Changed@Example.com", "current_password": PASSWORD}
    response = client.patch("/api/users/me", json=body, headers=auth_headers(user))
    assert response.get_json()["email"] == "changed@example.com"
    login(client, "changed@example.com")


def test_email_change_to_a_taken_email_is_409(
    client: FlaskClient, db_session: Session, auth_headers: Callable[[User], dict[str, str]]
) -> None:
    user = make_user(db_session)
    make_user(db_session, email="someone-else@example.com")
    body = {"email": "SOMEONE-ELSE@example.com", "current_password": PASSWORD}
    assert_problem(client.patch("/api/users/me", json=body, headers=auth_headers(user)), 409, "email_taken")


@pytest.mark.parametrize(
    ("field", "value"), [("role", "admin"), ("is_active", True), ("id", 1)], ids=["role", "is_active", "id"]
)
def test_profile_patch_refuses_server_owned_fields(
    client: FlaskClient,
    db_session: Session,
    auth_headers: Callable[[User], dict[str, str]],
    field: str,
    value: Any,
) -> None:
    user = make_user(db_session)
    headers = auth_headers(user)
    response = client.patch("/api/users/me", json={field: value}, headers=headers)
    assert assert_problem(response, 422, "validation_error")["errors"] == {field: ["Unknown field."]}
    db_session.expire_all()
    assert user.role == "customer"


# The OpenAPI document


def test_every_token_protected_users_endpoint_declares_its_security(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    public = {("post", "/api/users/register"), ("post", "/api/users/login")}
    operations = [
        (method, path, operation)
        for path, item in spec["paths"].items()
        if path.startswith("/api/users")
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) == 15
    for method, path, operation in operations:
        if (method, path) in public:
            assert "security" not in operation, (method, path)
            assert "429" in operation["responses"], (method, path)
        else:
            assert operation.get("security") == [{"bearerAuth": []}], (method, path)
            assert "401" in operation["responses"], (method, path)


# Rate limits (the testing config turns them off; these tests build their own rate-limited apps)

LIMITED = {"RATELIMIT_ENABLED": True, "RATELIMIT_LOGIN": "3 per minute", "RATELIMIT_REGISTER": "2 per minute"}


def attempt_login(client: FlaskClient, email: str, address: str = "10.0.0.1") -> Any:
    return client.post(
        "/api/users/login",
        json={"email": email, "password": "wrong password"},
        environ_base={"REMOTE_ADDR": address},
    )


def assert_rate_limited(response: Any) -> None:
    body = assert_problem(response, 429, "rate_limited")
    assert body["type"] == "urn:problem-type:rate_limited"
    assert int(response.headers["Retry-After"]) > 0


@pytest.fixture
def limited_app(make_app: Callable[..., Flask]) -> Iterator[Callable[..., Flask]]:
    """Build rate-limited apps (LIMITED plus overrides).

    The shared `limiter` remembers "storage dead" across `init_app` calls; each app built here
    starts on its configured storage, and the flag is cleared for the tests that follow.
    """

    def build(**overrides: Any) -> Flask:
        app = make_app(**(LIMITED | overrides))
        limiter._storage_dead = False
        return app

    yield build
    limiter._storage_dead = False


def test_login_is_limited_per_client_address(limited_app: Callable[..., Flask]) -> None:
    client = limited_app().test_client()
    for n in range(3):
        assert attempt_login(client, f"nobody{n}@example.com").status_code == 401
    assert_rate_limited(attempt_login(client, "nobody9@example.com"))
    assert attempt_login(client, "nobody9@example.com", address="10.0.0.2").status_code == 401


def test_login_is_limited_per_account_across_addresses(limited_app: Callable[..., Flask]) -> None:
    client = limited_app().test_client()
    for n in range(3):
        assert attempt_login(client, "victim@example.com", address=f"10.0.1.{n}").status_code == 401
    # Same account, spelled differently, from yet another address.
    assert_rate_limited(attempt_login(client, " VICTIM@example.com", address="10.0.1.9"))


def test_register_is_limited_per_client_address(limited_app: Callable[..., Flask]) -> None:
    client = limited_app().test_client()
    for _ in range(2):
        response = client.post("/api/users/register", json={}, environ_base={"REMOTE_ADDR": "10.0.2.1"})
        assert response.status_code == 422
    response = client.post("/api/users/register", json={}, environ_base={"REMOTE_ADDR": "10.0.2.1"})
    assert_rate_limited(response)


def test_login_limit_is_counted_in_redis_across_app_instances(
    limited_app: Callable[..., Flask], redis_db: redis.Redis
) -> None:
    """The count lives in Redis, not in a process.

    `limiter` is one object shared by every app in this process, but each `init_app` gives it a
    new storage object: building the second instance after the first one's attempts would start
    from zero if the count were kept in memory.
    """
    first = limited_app().test_client()
    for n in range(3):
        assert attempt_login(first, f"someone{n}@example.com").status_code == 401
    assert redis_db.keys(redis_db.key("limits:LIMITER/*/10.0.0.1/users.login/*"))
    second = limited_app().test_client()
    assert_rate_limited(attempt_login(second, "someone9@example.com"))


def test_login_stays_limited_per_process_while_redis_is_down(limited_app: Callable[..., Flask]) -> None:
    """No 500 and no free-for-all: the limiter falls back to counting in this process."""
    client = limited_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0").test_client()
    for n in range(3):
        assert attempt_login(client, f"down{n}@example.com").status_code == 401
    assert_rate_limited(attempt_login(client, "down9@example.com"))


def test_rate_limits_off_means_no_429(limited_app: Callable[..., Flask]) -> None:
    client = limited_app(RATELIMIT_ENABLED=False).test_client()
    for n in range(5):
        assert attempt_login(client, f"free{n}@example.com").status_code == 401
