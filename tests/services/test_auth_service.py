"""AuthService and UserService on the real database, with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuthSession
from app.security.tokens import Lifetimes
from app.services.auth_service import AuthService
from app.services.user_service import UserService
from app.utils.exceptions import InvalidCredentials, LastAdmin, RefreshTokenReused
from app.utils.passwords import Passwords
from tests.builders import PASSWORD, make_user

pytestmark = [pytest.mark.auth, pytest.mark.usefixtures("rate_limits_as_configured", "app_context")]

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
LIFETIMES = Lifetimes(access=timedelta(minutes=15), refresh=timedelta(days=30))


def auth_service(db_session: Session, now: datetime = NOW) -> AuthService:
    return AuthService(db_session, Passwords("fast"), LIFETIMES, clock=lambda: now)


def test_login_session_lasts_as_long_as_the_refresh_token(app: object, db_session: Session) -> None:
    user = make_user(db_session)
    login = auth_service(db_session).login(email=user.email, password=PASSWORD)
    assert login.expires_in == 15 * 60
    [session] = user_sessions(db_session, user.id)
    assert session.expires_at == NOW + timedelta(days=30)


def test_refresh_slides_the_session_expiry(app: object, db_session: Session) -> None:
    user = make_user(db_session)
    auth_service(db_session).login(email=user.email, password=PASSWORD)
    [session] = user_sessions(db_session, user.id)
    later = NOW + timedelta(days=10)
    auth_service(db_session, later).refresh(user_id=user.id, session_id=session.id, jti=session.refresh_jti)
    [session] = user_sessions(db_session, user.id)
    assert session.expires_at == later + timedelta(days=30)


def test_refresh_with_a_spent_jti_revokes_the_session(app: object, db_session: Session) -> None:
    user = make_user(db_session)
    auth_service(db_session).login(email=user.email, password=PASSWORD)
    [session] = user_sessions(db_session, user.id)
    spent = session.refresh_jti
    auth_service(db_session).refresh(user_id=user.id, session_id=session.id, jti=spent)
    with pytest.raises(RefreshTokenReused):
        auth_service(db_session).refresh(user_id=user.id, session_id=session.id, jti=spent)
    [session] = user_sessions(db_session, user.id)
    assert session.revoked_at == NOW


def test_login_of_an_inactive_user_is_invalid_credentials(app: object, db_session: Session) -> None:
    user = make_user(db_session, is_active=False)
    with pytest.raises(InvalidCredentials):
        auth_service(db_session).login(email=user.email, password=PASSWORD)
    assert user_sessions(db_session, user.id) == []


def test_last_admin_rule_counts_only_active_admins(app: object, db_session: Session) -> None:
    admin = make_user(db_session, role="admin")
    make_user(db_session, role="admin", is_active=False)
    with pytest.raises(LastAdmin):
        UserService(db_session, Passwords("fast")).admin_update(user_id=admin.id, role="customer")


def user_sessions(db_session: Session, user_id: int) -> list[AuthSession]:
    db_session.expire_all()
    return list(db_session.scalars(select(AuthSession).where(AuthSession.user_id == user_id)))
