"""The application factory."""

from __future__ import annotations

import logging
import sys
from typing import Any

from flask import Flask, Response, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.config import INSTANCE_DIR, Config, ShopSettings, config_from_env

log = logging.getLogger("app")


def create_app(config: Config | None = None, **overrides: Any) -> Flask:
    """Build the app from `config` (default: the environment's APP_ENV) plus `overrides`."""
    config = config or config_from_env()
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), static_folder=None)
    # Werkzeug answers "//" in a path with a 308 to an absolute URL built from the request's Host header,
    # and a 308 makes the client re-send its body (credentials) there. Unmerged, such a path is a plain 404.
    app.url_map.merge_slashes = False
    app.config.from_object(config)
    app.config.update(overrides)
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    configure_logging(app)
    register_request_hooks(app)  # first, so its after_request runs last
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    log.info("app ready: %s", config.describe())
    return app


def configure_logging(app: Flask) -> None:
    """Plain one-line logs on stderr; DEBUG for the cache logger when FLASK_DEBUG is on."""
    root = logging.getLogger("app")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root.addHandler(handler)
        root.propagate = False
    root.setLevel(logging.INFO)
    logging.getLogger("app.cache").setLevel(logging.DEBUG if app.debug else logging.INFO)


def register_request_hooks(app: Flask) -> None:
    from app.api import request_hooks
    from app.api.json import ExactJSONProvider

    app.json = ExactJSONProvider(app)
    request_hooks.register_request_hooks(app)


def register_extensions(app: Flask) -> None:
    from app.api.metrics import register_metrics
    from app.api.spec import api
    from app.cache import store
    from app.extensions import cors, db, jwt, limiter, ma, migrate
    from app.security.jwt_handlers import load_keys
    from app.utils import passwords

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        INSTANCE_DIR.mkdir(exist_ok=True)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(INSTANCE_DIR.parent / "migrations"))
    ma.init_app(app)
    load_keys(app)
    jwt.init_app(app)
    store.init_app(app)
    limiter.init_app(app)
    if app.config["CORS_ORIGINS"]:  # none configured: no CORS hook on every response (5% of a cheap request)
        if "*" not in app.config["CORS_ORIGINS"]:
            app.after_request(_vary_on_origin)  # registered before Flask-Cors's hook, so it runs after it
        cors.init_app(
            app,
            resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}},
            expose_headers=["ETag", "X-Request-ID", "Retry-After", "Location"],
        )
    api.init_app(app)
    register_metrics(app)
    app.extensions["passwords"] = passwords.Passwords(app.config["PASSWORD_HASH_PROFILE"])
    app.extensions["shop"] = ShopSettings.from_config(app.config)


def _vary_on_origin(response: Response) -> Response:
    """Every API answer depends on Origin when CORS names origins: the allow header is there or not.

    Flask-Cors sends `Vary: Origin` only when several origins are configured; with one, a shared cache
    could hand an answer made for one origin (or for none) to another.
    """
    if request.path.startswith("/api/"):
        response.vary.add("Origin")
    return response


def register_blueprints(app: Flask) -> None:
    from app.api import health, index, products, sales, user
    from app.api.spec import api, register_converters

    register_converters(app, api)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    for blueprint in (index.bp, health.bp, user.bp, products.bp, sales.bp):
        api.register_blueprint(blueprint)


def register_error_handlers(app: Flask) -> None:
    from app.api.errors import register_error_handlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from app.cli import commands

    for command in commands:
        app.cli.add_command(command)


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    """SQLite leaves foreign keys unenforced unless asked, per connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
