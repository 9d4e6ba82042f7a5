"""Flask CLI commands: create-admin, seed-demo, status, purge-idempotency-keys."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cache import store
from app.models.base import utcnow
from app.services.demo_service import DemoService
from app.services.health_service import HealthService
from app.services.idempotency_service import IdempotencyKeyService
from app.services.user_service import UserService


@click.command("create-admin")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", default="Administrator", show_default=True)
@with_appcontext
def create_admin(email: str, password: str, name: str) -> None:
    """Create the first admin, or promote an existing user (idempotent)."""
    if len(password) < 8:
        raise click.BadParameter("must be at least 8 characters", param_hint="--password")
    user, created = UserService().ensure_admin(email=email.strip().lower(), password=password, name=name)
    click.echo(f"{'Created' if created else 'Updated'} admin {user.email} (id {user.id})")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Add the demo catalog and, when there is no admin yet, a demo admin."""
    demo = DemoService()
    added = demo.seed_catalog()
    click.echo(f"Demo catalog: {added} products added.")
    if demo.has_admin():
        return
    email = os.environ.get("ADMIN_EMAIL", "admin@example.com")
    password = os.environ.get("ADMIN_PASSWORD") or demo.new_password()
    UserService().ensure_admin(email=email, password=password)
    click.echo(f"Demo admin created: {email} / {password}  (shown once; change it)")


@click.command("status")
@with_appcontext
def status() -> None:
    """Database, migration head, Redis and key files, checked for real."""
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate

    config = current_app.config
    database_ok = HealthService().database_ok()
    click.echo(
        f"Database: {'ok' if database_ok else 'UNREACHABLE'} ({config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]})"
    )
    migrate: Migrate = current_app.extensions["migrate"].migrate
    head = ScriptDirectory.from_config(migrate.get_config()).get_current_head()
    current = HealthService().migration_revision() if database_ok else None
    state = "up to date" if current == head else "BEHIND: run make migrate"
    click.echo(f"Migrations: database at {current or 'none'}, head {head} ({state})")
    redis = config.get("REDIS_URL")
    cache_state = store.status()
    click.echo(f"Redis: {redis.split('@')[-1] if redis else 'not configured (in-process cache)'}: {cache_state}")
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
    hours = current_app.config["IDEMPOTENCY_KEY_TTL_HOURS"]
    purged = IdempotencyKeyService().purge_expired(now=utcnow(), ttl=timedelta(hours=hours), batch_size=batch_size)
    click.echo(f"Purged {purged} idempotency keys older than {hours} h.")


commands = [create_admin, seed_demo, status, purge_idempotency_keys]
