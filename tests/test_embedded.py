"""`make dev`'s path: nothing configured means SQLite under instance/ and an in-process cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.config import Config
from app.extensions import db

pytestmark = pytest.mark.embedded


@pytest.fixture
def embedded_app(tmp_path: Path, rsa_keys: dict[str, str]) -> Flask:
    config = Config({})  # the environment a fresh clone has
    assert config.CACHE_TYPE == "SimpleCache"
    return create_app(
        config,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'dev.db'}",
        PASSWORD_HASH_PROFILE="fast",
        **rsa_keys,
    )


def test_migrate_seed_and_serve_on_sqlite(embedded_app: Flask) -> None:
    runner = embedded_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    seeded = runner.invoke(args=["seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    assert "Demo admin created: admin@example.com" in seeded.output
    again = runner.invoke(args=["seed-demo"])
    assert "0 products added" in again.output
    assert "Demo admin created" not in again.output

    client = embedded_app.test_client()
    assert client.get("/api/health").get_json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert client.get("/api/docs").status_code == 200
    with embedded_app.app_context():
        assert db.session.execute(db.text("SELECT count(*) FROM products")).scalar_one() >= 50
        db.session.remove()
        db.engine.dispose()
