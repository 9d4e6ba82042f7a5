"""Flask CLI commands: create-admin, seed-demo, reset-dev-db, status."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cache import store
from app.services.demo_service import DemoService
from app.services.health_service import HealthService
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
    email = current_app.config["ADMIN_EMAIL"].strip().lower()
    password = current_app.config["ADMIN_PASSWORD"]
    if len(password) < 8:
        raise click.BadParameter("ADMIN_PASSWORD must be at least 8 characters")
    added = DemoService().seed_catalog()
    click.echo(f"Demo catalog: {added} products added.")
    UserService().ensure_admin(email=email, password=password, name="Demo Admin")
    click.echo(f"Demo admin: {email} / {password}  (ADMIN_EMAIL / ADMIN_PASSWORD in .env)")


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


commands = [create_admin, seed_demo, reset_dev_db, status]
