"""Correctly signed tokens with claims we never mint are 401 invalid_token, never a 500 (or a 200).

Each token here is signed with the app's real key, so only its claims are wrong."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy.orm import Session

from app.models import User
from tests.api.test_auth_api import assert_problem, bearer, claims_of
from tests.builders import PASSWORD, TokenPair, make_user

pytestmark = [pytest.mark.auth, pytest.mark.usefixtures("rate_limits_as_configured")]


@pytest.fixture
def session_tokens(db_session: Session, auth_tokens: Callable[[User], TokenPair]) -> TokenPair:
    """A live login session: each bad token below names it, so only the claim under test is wrong."""
    return auth_tokens(make_user(db_session))


def mint_access(app: Flask, live: TokenPair, *, sub: Any = None, expires: Any = None, **claims: Any) -> str:
    good = claims_of(live.access)
    extra = {"sid": good["sid"], "role": good["role"]} | claims
    extra = {name: value for name, value in extra.items() if value is not DROP}
    with app.app_context():
        token: str = create_access_token(
            identity=good["sub"] if sub is None else sub,
            additional_claims=extra,
            expires_delta=timedelta(minutes=5) if expires is None else expires,
        )
    return token


DROP = object()  # leave the claim out

BAD_ACCESS: dict[str, dict[str, Any]] = {
    "no-exp": {"expires": False},
    "sub-superscript-two": {"sub": "²"},
    "sub-arabic-indic-digits": {"sub": "١٢"},
    "sub-thousands-of-digits": {"sub": "9" * 5000},
    "sub-beyond-integer": {"sub": "4294967296"},
    "sub-zero": {"sub": "0"},
    "sub-leading-zero": {"sub": "01"},
    "sub-negative": {"sub": "-1"},
    "sub-with-space": {"sub": " 1"},
    "sub-empty": {"sub": ""},
    "sub-decimal": {"sub": "1.0"},
    "no-role": {"role": DROP},
    "unknown-role": {"role": "superuser"},
    "role-not-a-string": {"role": ["admin"]},
    "no-sid": {"sid": DROP},
    "sid-path": {"sid": "../../etc"},
    "sid-not-a-string": {"sid": 7},
    "lives-ten-years": {"expires": timedelta(days=3650)},
    "iat-a-string": {"iat": "yesterday"},
}


@pytest.mark.parametrize("bad", list(BAD_ACCESS.values()), ids=list(BAD_ACCESS))
def test_an_access_token_with_a_claim_we_never_mint_is_401(
    app: Flask, client: FlaskClient, session_tokens: TokenPair, bad: dict[str, Any]
) -> None:
    assert client.get("/api/users/me", headers=bearer(session_tokens.access)).status_code == 200
    token = mint_access(app, session_tokens, **bad)
    response = client.get("/api/users/me", headers=bearer(token))
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.get_json()["code"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_without_exp_is_refused_even_though_pyjwt_accepts_it(
    app: Flask, client: FlaskClient, session_tokens: TokenPair
) -> None:
    token = mint_access(app, session_tokens, expires=False)
    assert "exp" not in claims_of(token)
    assert_problem(client.get("/api/users/me", headers=bearer(token)), 401, "invalid_token")


@pytest.mark.parametrize(
    "sub", ["²", "9" * 5000, "-1", "0"], ids=["superscript-two", "thousands-of-digits", "negative", "zero"]
)
def test_a_refresh_token_with_an_odd_sub_is_401(
    app: Flask, client: FlaskClient, session_tokens: TokenPair, sub: str
) -> None:
    good = claims_of(session_tokens.refresh)
    with app.app_context():
        token = create_refresh_token(identity=sub, additional_claims={"sid": good["sid"], "jti": good["jti"]})
    assert_problem(client.post("/api/users/refresh", headers=bearer(token)), 401, "invalid_token")


def test_a_refresh_token_without_exp_is_401(app: Flask, client: FlaskClient, session_tokens: TokenPair) -> None:
    good = claims_of(session_tokens.refresh)
    with app.app_context():
        token = create_refresh_token(
            identity=good["sub"], additional_claims={"sid": good["sid"], "jti": good["jti"]}, expires_delta=False
        )
    assert_problem(client.post("/api/users/refresh", headers=bearer(token)), 401, "invalid_token")


def test_the_tokens_we_mint_carry_what_authorisation_needs(client: FlaskClient, db_session: Session) -> None:
    user = make_user(db_session, role="admin")
    db_session.flush()
    response = client.post("/api/users/login", json={"email": user.email, "password": PASSWORD})
    claims = claims_of(response.get_json()["access_token"])
    assert {"sub", "sid", "role", "jti", "iat", "exp"} <= set(claims)
    assert (claims["sub"], claims["role"]) == (str(user.id), "admin")
    assert claims["exp"] - claims["iat"] <= 15 * 60
