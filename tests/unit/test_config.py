"""Configuration from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import Config, ConfigError, ProductionConfig, config_from_env, redis_url_from


def test_nothing_configured_means_sqlite_and_in_process_cache() -> None:
    config = Config({})
    assert config.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert config.SQLALCHEMY_DATABASE_URI.endswith("instance/ecommerce.db")
    assert config.CACHE_TYPE == "SimpleCache"
    assert config.RATELIMIT_STORAGE_URI == "memory://"


def test_database_and_redis_urls_select_postgresql_and_redis() -> None:
    config = Config({"DATABASE_URL": "postgres://u:p@db:5432/shop", "REDIS_URL": "rediss://:pw@cache:6380/0"})
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg2://u:p@db:5432/shop"
    assert config.CACHE_TYPE == "RedisCache"
    assert config.RATELIMIT_STORAGE_URI == "rediss://:pw@cache:6380/0"
    assert config.CACHE_REDIS_URL == "rediss://:pw@cache:6380/0"


def test_seed_style_redis_settings_build_a_tls_url() -> None:
    url = redis_url_from(
        {"REDIS_HOST": "x.redislabs.com", "REDIS_PORT": "12345", "REDIS_PASSWORD": "p@ss", "REDIS_SSL": "true"}
    )
    assert url == "rediss://default:p%40ss@x.redislabs.com:12345/0"


def test_production_names_everything_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        ProductionConfig({"JWT_PRIVATE_KEY_PATH": str(tmp_path / "nope.pem")})
    message = str(error.value)
    assert "DATABASE_URL" in message
    assert "REDIS_URL" in message
    assert "nope.pem" in message


def test_production_refuses_sqlite(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PostgreSQL"):
        ProductionConfig({"DATABASE_URL": "sqlite:///x.db", "REDIS_URL": "redis://localhost"})


def test_production_starts_with_everything_set(tmp_path: Path) -> None:
    for name in ("private.pem", "public.pem"):
        (tmp_path / name).write_text("key")
    config = ProductionConfig(
        {
            "DATABASE_URL": "postgresql://u@db/shop",
            "REDIS_URL": "redis://cache:6379/0",
            "JWT_PRIVATE_KEY_PATH": str(tmp_path / "private.pem"),
            "JWT_PUBLIC_KEY_PATH": str(tmp_path / "public.pem"),
        }
    )
    assert config.DEBUG is False
    assert config.SQLALCHEMY_ENGINE_OPTIONS["pool_pre_ping"] is True


def test_unknown_app_env_is_refused() -> None:
    with pytest.raises(ConfigError, match="APP_ENV"):
        config_from_env({"APP_ENV": "staging"})
