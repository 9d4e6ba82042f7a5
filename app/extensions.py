"""Unbound extension instances, bound to an app by create_app."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_marshmallow import Marshmallow
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import Connection, Engine, Pool, UpdateBase, event

from app.models.base import Base

SAFE_METHODS = frozenset({"GET", "HEAD"})  # RFC 9110: they only read


def _reads_only() -> bool:
    return has_request_context() and request.method in SAFE_METHODS


class Session(FlaskSession):
    """The request's session. In a GET or HEAD request it only reads: a write raises, and on PostgreSQL its
    statements run in autocommit, without the BEGIN and ROLLBACK round trips around them (a list page's
    four round trips become two). Reads lose nothing: under READ COMMITTED each statement takes its own
    snapshot anyway.
    """

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Engine | Connection:
        if _reads_only() and (self._flushing or isinstance(clause, UpdateBase)):
            raise RuntimeError(f"A {request.method} request may not write: {'a flush' if clause is None else clause}")
        return super().get_bind(mapper, clause, bind, **kwargs)


@event.listens_for(Session, "after_begin")
def _autocommit_reads(_session: Session, _transaction: Any, connection: Connection) -> None:
    # Nothing has reached the server yet: psycopg2 sends BEGIN with the first statement. A connection that
    # is already in a transaction (the tests' outer one) is left as it is.
    if _reads_only() and connection.dialect.name == "postgresql" and not connection.in_nested_transaction():
        pooled = connection.connection
        pooled.driver_connection.autocommit = True  # type: ignore[union-attr]  # a client-side switch
        pooled.info["reads_only"] = True


@event.listens_for(Pool, "reset")
def _transactions_again(dbapi_connection: Any, record: Any, _state: Any) -> None:
    if record is not None and record.info.pop("reads_only", False):
        dbapi_connection.autocommit = False


db = SQLAlchemy(model_class=Base, session_options={"class_": Session, "expire_on_commit": False})
migrate = Migrate()
ma = Marshmallow()
jwt = JWTManager()
limiter = Limiter(key_func=get_remote_address)
cors = CORS()
