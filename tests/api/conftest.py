"""Fixtures the API tests share: headers of a fresh admin and of a fresh customer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from app.models import User
from tests.builders import make_user


@pytest.fixture
def admin_headers(db_session: Session, auth_headers: Callable[[User], dict[str, str]]) -> dict[str, str]:
    return auth_headers(make_user(db_session, role="admin"))


@pytest.fixture
def customer_headers(db_session: Session, auth_headers: Callable[[User], dict[str, str]]) -> dict[str, str]:
    return auth_headers(make_user(db_session))
