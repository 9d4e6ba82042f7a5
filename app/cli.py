"""Flask CLI commands: create-admin, seed-demo, reset-dev-db, status, purge-idempotency-keys.

Input goes through the same schemas and services as the API; bad input is a one-line message and
exit status 2 (click's usage error), never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from marshmallow import ValidationError

from app.api import shop
from app.api.errors import flatten_messages
from app.cache import store
from app.schemas.user import RegisterIn
from app.services.demo_service import DemoService
from app.services.health_service import HealthService
from app.services.idempotency_service import IdempotencyKeyService
from app.services.user_service import UserService
from app.utils.exceptions import AppError


def _admin_input(email: str, password: str, name: str) -> dict[str, Any]:
    """The admin's email, password and name, validated as a registration is."""
    try:
        data: dict[str, Any] = RegisterIn().load({"email": email, "password": password, "name": name})
    except ValidationError as error:
        messages = "; ".join(f"{field}: {' '.join(texts)}" for field, texts in flatten_messages(error.messages).items())
        raise click.UsageError(messages) from error
    return data


def _ensure_admin(email: str, password: str, name: str) -> tuple[Any, bool]:
    try:
        return UserService().ensure_admin(**_admin_input(email, password, name))
    except AppError as error:
        raise click.ClickException(error.detail) from error


@click.command("create-admin")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", default="Administrator", show_default=True)
@with_appcontext
def create_admin(email: str, password: str, name: str) -> None:
    """Create the first admin, or promote an existing user (idempotent)."""
    user, created = _ensure_admin(email, password, name)
    click.echo(f"{'Created' if created else 'Updated'} admin {user.email} (id {user.id})")


def _development_only(command: str) -> None:
    if current_app.config["APP_ENV"] != "development":
        raise click.ClickException(
            f"{command} is for development (APP_ENV=development) only. "
            "In production, create the first admin with: flask --app wsgi create-admin --email E --password P"
        )


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Add the demo catalog and the demo admin (ADMIN_EMAIL / ADMIN_PASSWORD). Development only.

    Idempotent: products already there are kept, and the demo admin always ends up an active
    admin with ADMIN_PASSWORD, so the printed credentials are the ones that work.
    """
    _development_only("seed-demo")
    added = DemoService().seed_catalog()
    click.echo(f"Demo catalog: {added} products added.")
    user, _created = _ensure_admin(
        current_app.config["ADMIN_EMAIL"], current_app.config["ADMIN_PASSWORD"], "Demo Admin"
    )
    click.echo(
        f"Demo admin: {user.email} / {current_app.config['ADMIN_PASSWORD']}  (ADMIN_EMAIL / ADMIN_PASSWORD in .env)"
    )


@click.command("reset-dev-db")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def reset_dev_db(yes: bool) -> None:
    """Drop every table of the development database (then: flask db upgrade, seed-demo). Development only."""
    _development_only("reset-dev-db")
    database = current_app.config["SQLALCHEMY_DATABASE_URI"].split("@")[-1]
    if not yes:
        click.confirm(f"Drop every table of {database}?", abort=True)
    DemoService().drop_all_tables()
    click.echo(f"Dropped every table of {database}.")


@click.command("status")
@with_appcontext
def status() -> None:
    """Database, migration head, Redis and key files, checked for real."""
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate

    config = current_app.config
    health = HealthService()
    database_ok = health.database_ok()
    click.echo(
        f"Database: {'ok' if database_ok else 'UNREACHABLE'} ({config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]})"
    )
    migrate: Migrate = current_app.extensions["migrate"].migrate
    head = ScriptDirectory.from_config(migrate.get_config()).get_current_head()
    current = health.migration_revision() if database_ok else None
    state = "up to date" if current == head else "BEHIND: run make migrate"
    click.echo(f"Migrations: database at {current or 'none'}, head {head} ({state})")
    redis = config.get("REDIS_URL")
    click.echo(f"Redis: {redis.split('@')[-1] if redis else 'not configured (in-process cache)'}: {store.status()}")
    for key in ("JWT_PRIVATE_KEY_PATH", "JWT_PUBLIC_KEY_PATH"):
        path = Path(config[key])
        click.echo(f"{key}: {path} ({'present' if path.is_file() else 'MISSING: run make generate-keys'})")


@click.command("purge-idempotency-keys")
@click.option(
    "--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000), help="Keys per transaction."
)
@with_appcontext
def purge_idempotency_keys(batch_size: int) -> None:
    """Delete checkout idempotency keys older than IDEMPOTENCY_KEY_TTL_HOURS (safe while the app serves)."""
    settings = shop()
    purged = IdempotencyKeyService(settings).purge_expired(batch_size=batch_size)
    hours = int(settings.idempotency_key_ttl.total_seconds() // 3600)
    click.echo(f"Purged {purged} idempotency keys older than {hours} h.")


commands = [create_admin, seed_demo, reset_dev_db, status, purge_idempotency_keys]
