"""Property-based fuzz of the whole API from its own OpenAPI document (schemathesis).

Every operation is called with generated valid and invalid input, anonymously and as an admin; no response
may be a server error and every response must match what the document promises.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from app.models import User
from tests.builders import make_address, make_cart, make_product, make_user

pytestmark = pytest.mark.slow

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def api_schema(app: Flask, db_session: Session) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.fixture
def admin_headers(db_session: Session, auth_headers: Callable[[User], dict[str, str]]) -> dict[str, str]:
    """An admin with a product, an address and a cart, so authenticated calls reach real code paths."""
    admin = make_user(db_session, role="admin")
    product = make_product(db_session, stock=1000)
    make_address(db_session, admin, is_default=True)
    make_cart(db_session, admin, {product: 1})
    return auth_headers(admin)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@FUZZ
def test_anonymous_calls_never_fail_or_break_the_contract(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_admin_calls_never_fail_or_break_the_contract(case: schemathesis.Case, admin_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=admin_headers, checks=CHECKS)
