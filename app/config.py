"""Settings read from the environment, one class per APP_ENV."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = ROOT / "instance"

# Every Redis client gets short timeouts: a hung Redis must cost a request
# milliseconds, not a worker (redis-py 7 waits forever by default).
REDIS_SOCKET_OPTIONS = {"socket_timeout": 0.25, "socket_connect_timeout": 0.25}


@dataclass(frozen=True)
class ShopSettings:
    """What services need to know of the shop, built once from the config (SHOP_*, TAX_RATE, CATALOG_LIST_TTL,
    MAX_ADDRESSES_PER_USER, IDEMPOTENCY_KEY_TTL_HOURS)."""

    name: str
    currency: str
    tax_rate: Decimal
    catalog_ttl: int  # seconds a catalog page, or the number of matches of its filters, stays cached
    max_addresses: int = 20  # delivery addresses per user
    idempotency_key_ttl: timedelta = timedelta(hours=24)  # how long a checkout key replays

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ShopSettings:
        return cls(
            name=config["SHOP_NAME"],
            currency=config["SHOP_CURRENCY"],
            tax_rate=config["TAX_RATE"],
            catalog_ttl=config["CATALOG_LIST_TTL"],
            max_addresses=config["MAX_ADDRESSES_PER_USER"],
            idempotency_key_ttl=timedelta(hours=config["IDEMPOTENCY_KEY_TTL_HOURS"]),
        )


class ConfigError(RuntimeError):
    """The environment does not hold what this APP_ENV needs to start."""


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def redis_url_from(environ: Mapping[str, str]) -> str | None:
    """REDIS_URL as given, or one built from the seed's REDIS_HOST/PORT/USERNAME/PASSWORD/SSL."""
    if environ.get("REDIS_URL"):
        return environ["REDIS_URL"]
    host = environ.get("REDIS_HOST")
    if not host:
        return None
    scheme = "rediss" if _flag(environ.get("REDIS_SSL"), False) else "redis"
    auth = ""
    if environ.get("REDIS_PASSWORD"):
        user = quote(environ.get("REDIS_USERNAME", "default"), safe="")
        auth = f"{user}:{quote(environ['REDIS_PASSWORD'], safe='')}@"
    return f"{scheme}://{auth}{host}:{environ.get('REDIS_PORT', '6379')}/{environ.get('REDIS_DB', '0')}"


class Config:
    """Development defaults: everything works with nothing configured."""

    APP_ENV = "development"
    default_database_url = f"sqlite:///{INSTANCE_DIR / 'ecommerce.db'}"
    database_env = "DATABASE_URL"
    redis_env_prefix = ""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.DEBUG = _flag(env.get("FLASK_DEBUG"), False)
        # One line per request; off under gunicorn, whose access log carries the request id.
        self.LOG_REQUESTS = _flag(env.get("LOG_REQUESTS"), True)
        self.SQLALCHEMY_DATABASE_URI = self._database_url(env)
        self.SQLALCHEMY_ENGINE_OPTIONS = self._engine_options(self.SQLALCHEMY_DATABASE_URI, env)
        self.REDIS_URL = self._redis_url(env)

        self.JWT_PRIVATE_KEY_PATH = env.get("JWT_PRIVATE_KEY_PATH", str(ROOT / "keys/private.pem"))
        self.JWT_PUBLIC_KEY_PATH = env.get("JWT_PUBLIC_KEY_PATH", str(ROOT / "keys/public.pem"))
        self.JWT_ALGORITHM = "RS256"
        self.JWT_TOKEN_LOCATION = ["headers"]
        self.JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=int(env.get("JWT_ACCESS_TOKEN_MINUTES", "15")))
        self.JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=int(env.get("JWT_REFRESH_TOKEN_DAYS", "30")))
        # Lifetime of the device tokens handed out at login (OWASP device cookies).
        self.DEVICE_TOKEN_DAYS = int(env.get("DEVICE_TOKEN_DAYS", "180"))

        self.CACHE_KEY_PREFIX = env.get("CACHE_KEY_PREFIX", "ecommerce:")
        # The blocklist access tokens are checked against (app/security/blocklist.py): one Redis hash.
        # Its own Redis (noeviction, persistent) when given; unset: REDIS_URL's. No Redis at all:
        # every access token is checked in the database.
        self.BLOCKLIST_REDIS_URL = env.get("BLOCKLIST_REDIS_URL") or None
        self.BLOCKLIST_KEY = env.get("BLOCKLIST_KEY") or f"{self.CACHE_KEY_PREFIX}blocklist"
        # How old the blocklist's last reconciliation with PostgreSQL may grow before one process redoes it.
        self.BLOCKLIST_RESYNC_SECONDS = int(env.get("BLOCKLIST_RESYNC_SECONDS", "30"))
        self.CATALOG_LIST_TTL = int(env.get("CATALOG_LIST_TTL", "1800"))
        self.PRODUCT_DETAIL_TTL = int(env.get("PRODUCT_DETAIL_TTL", "3600"))
        self.CART_TOTAL_TTL = int(env.get("CART_TOTAL_TTL", "120"))
        self.ADMIN_SALES_TTL = int(env.get("ADMIN_SALES_TTL", "600"))
        # The long tail of list queries (search, price bounds, deep pages, odd page sizes) lives this long.
        self.CATALOG_TAIL_TTL = int(env.get("CATALOG_TAIL_TTL", "60"))
        # The number of matches of a filter set: kept across catalog edits until what its filters match
        # changes (app/cache/counts.py), so it may outlive its pages, even when both list TTLs are 0.
        self.CATALOG_COUNT_TTL = int(env.get("CATALOG_COUNT_TTL", "3600"))
        # List pages up to this number (without q or price bounds) keep CATALOG_LIST_TTL.
        self.CATALOG_HEAD_PAGES = int(env.get("CATALOG_HEAD_PAGES", "10"))
        # A rendered body above this size is served but not cached.
        self.CACHE_MAX_ENTRY_BYTES = int(env.get("CACHE_MAX_ENTRY_BYTES", str(128 * 1024)))
        # Per-product live stock values (replaced by a tombstone at every stock change).
        self.STOCK_TTL = int(env.get("STOCK_TTL", "600"))
        if env.get("CACHE_TYPE"):
            self.CACHE_TYPE = env["CACHE_TYPE"]
        elif self.REDIS_URL:
            self.CACHE_TYPE = "RedisCache"
        else:
            self.CACHE_TYPE = "SimpleCache"
        # The cache may live on a Redis of its own (with maxmemory and an eviction policy), apart
        # from the rate-limit counters; by default it shares REDIS_URL.
        self.CACHE_REDIS_URL = env.get("CACHE_REDIS_URL") or self.REDIS_URL
        self.CACHE_MEMORY_MAX_ENTRIES = int(env.get("CACHE_MEMORY_MAX_ENTRIES", "2000"))

        # Prometheus metrics at /metrics, for callers with the METRICS_TOKEN bearer only.
        self.METRICS_ENABLED = _flag(env.get("METRICS_ENABLED"), False)
        self.METRICS_TOKEN = env.get("METRICS_TOKEN", "")

        self.RATELIMIT_ENABLED = _flag(env.get("RATELIMIT_ENABLED"), True)
        self.RATELIMIT_DEFAULT = env.get("RATELIMIT_DEFAULT", "300 per minute")
        self.RATELIMIT_LOGIN = env.get("RATELIMIT_LOGIN", "10 per minute")
        # Failed logins (and wrong current passwords, email_taken answers) per account; unset: RATELIMIT_LOGIN.
        self.RATELIMIT_LOGIN_ACCOUNT = env.get("RATELIMIT_LOGIN_ACCOUNT") or None
        # Failed logins per device token (a login with a valid one is exempt from the account's limit).
        self.RATELIMIT_LOGIN_DEVICE = env.get("RATELIMIT_LOGIN_DEVICE", "5 per minute")
        self.RATELIMIT_REGISTER = env.get("RATELIMIT_REGISTER", "5 per minute")
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        # Prefix of the limiter's own keys in Redis (the limits library's default is "LIMITS").
        self.RATELIMIT_STORAGE_PREFIX = env.get("RATELIMIT_STORAGE_PREFIX", "LIMITS")
        self.RATELIMIT_STORAGE_OPTIONS = (
            {**REDIS_SOCKET_OPTIONS, "key_prefix": self.RATELIMIT_STORAGE_PREFIX} if self.REDIS_URL else {}
        )
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        # X-RateLimit-* headers on every response cost a second Redis round trip per request (measured:
        # a sixth of a cached list's time); off by default. A 429 always carries Retry-After.
        self.RATELIMIT_HEADERS_ENABLED = _flag(env.get("RATELIMIT_HEADERS_ENABLED"), False)
        self.RATELIMIT_STRATEGY = "moving-window"
        self.RATELIMIT_KEY_PREFIX = env.get("RATELIMIT_KEY_PREFIX", "ecommerce-limits")

        # Load balancers in front of the app: trust this many X-Forwarded-For hops (rate limits key on the client IP).
        self.PROXY_HOPS = int(env.get("PROXY_HOPS", "0"))
        self.CORS_ORIGINS = [o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip()]
        # The Host names this API answers to (Flask checks them; ".example.com" admits subdomains). Unset: any.
        self.TRUSTED_HOSTS = [h.strip() for h in env.get("TRUSTED_HOSTS", "").split(",") if h.strip()] or None
        self.MAX_CONTENT_LENGTH = int(env.get("MAX_CONTENT_LENGTH", str(1024 * 1024)))
        self.SHOP_CURRENCY = env.get("SHOP_CURRENCY", "USD")
        self.SHOP_NAME = env.get("SHOP_NAME", "Ecommerce Backend Shop")
        self.TAX_RATE = Decimal(env.get("TAX_RATE", "0"))
        self.MAX_ADDRESSES_PER_USER = int(env.get("MAX_ADDRESSES_PER_USER", "20"))
        # Clients are promised a day to retry a checkout with its Idempotency-Key.
        self.IDEMPOTENCY_KEY_TTL_HOURS = int(env.get("IDEMPOTENCY_KEY_TTL_HOURS", "24"))
        if self.IDEMPOTENCY_KEY_TTL_HOURS < 24:
            raise ConfigError("IDEMPOTENCY_KEY_TTL_HOURS must be at least 24")
        self.PASSWORD_HASH_PROFILE = "strong"
        # The demo admin that `make dev` (flask seed-demo) creates; seed-demo refuses outside development.
        self.ADMIN_EMAIL = env.get("ADMIN_EMAIL") or "admin@example.com"
        self.ADMIN_PASSWORD = env.get("ADMIN_PASSWORD") or "admin-dev-password"

        self.API_TITLE = "Ecommerce Backend API"
        self.API_VERSION = "1.0.0"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.OPENAPI_SWAGGER_UI_PATH = "docs"
        self.OPENAPI_SWAGGER_UI_URL = "/api/docs/assets/"

    def _database_url(self, env: Mapping[str, str]) -> str:
        url = env.get(self.database_env) or self.default_database_url
        # Hosts hand out "postgres://" (dropped by SQLAlchemy 2) and plain "postgresql://"
        # (psycopg 3 by default since SQLAlchemy 2.1); we use psycopg2.
        for plain in ("postgres://", "postgresql://"):
            if url.startswith(plain):
                return "postgresql+psycopg2://" + url.removeprefix(plain)
        return url

    def _redis_url(self, env: Mapping[str, str]) -> str | None:
        return redis_url_from(env)

    @staticmethod
    def _engine_options(url: str, env: Mapping[str, str]) -> dict[str, Any]:
        if not url.startswith("postgresql"):
            return {}
        timeout_ms = int(env.get("DB_STATEMENT_TIMEOUT_MS", "5000"))
        return {
            "pool_pre_ping": True,
            "pool_size": int(env.get("DB_POOL_SIZE", "5")),
            "max_overflow": int(env.get("DB_MAX_OVERFLOW", "5")),
            "pool_timeout": float(env.get("DB_POOL_TIMEOUT", "3")),
            "connect_args": {
                "connect_timeout": 5,
                "options": f"-c statement_timeout={timeout_ms} -c lock_timeout={timeout_ms}"
                " -c idle_in_transaction_session_timeout=60000 -c timezone=UTC",
            },
        }

    def describe(self) -> str:
        """One line for the startup log: which database and cache are in use."""
        database = self.SQLALCHEMY_DATABASE_URI.split("@")[-1].split("?")[0]
        url = self.CACHE_REDIS_URL if self.CACHE_TYPE == "RedisCache" else None
        redis = url.split("@")[-1] if url else None
        cache = f"{self.CACHE_TYPE} ({redis})" if redis else self.CACHE_TYPE
        return f"env={self.APP_ENV} database={database} cache={cache}"


class TestingConfig(Config):
    """The test suite: real PostgreSQL and Redis (the suite gives each run its own database and key prefix)."""

    APP_ENV = "testing"
    default_database_url = "postgresql://ecommerce_user:ecommerce_2024_secure@127.0.0.1:5432/ecommerce_backend_test"
    database_env = "TEST_DATABASE_URL"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        super().__init__(env)
        self.TESTING = True
        self.DEBUG = False
        self.PASSWORD_HASH_PROFILE = "fast"
        self.RATELIMIT_ENABLED = False
        # The suite gives each run its own CACHE_KEY_PREFIX and RATELIMIT_STORAGE_PREFIX (tests/isolation.py).
        self.CACHE_KEY_PREFIX = env.get("CACHE_KEY_PREFIX", "ecommerce-test:")
        self.RATELIMIT_KEY_PREFIX = env.get("RATELIMIT_KEY_PREFIX", "ecommerce-test-limits")
        self.BLOCKLIST_REDIS_URL = None  # the test Redis, never one from the environment
        self.BLOCKLIST_KEY = f"{self.CACHE_KEY_PREFIX}blocklist"  # within the tests' key namespace

    def _redis_url(self, env: Mapping[str, str]) -> str | None:
        return env.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class ProductionConfig(Config):
    """Production: PostgreSQL, Redis and keys are required, never defaulted."""

    APP_ENV = "production"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        super().__init__(env)
        self.DEBUG = False
        missing = []
        if not env.get("DATABASE_URL"):
            missing.append("DATABASE_URL (a PostgreSQL URL)")
        elif not self.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            missing.append("DATABASE_URL must point at PostgreSQL")
        if not self.REDIS_URL:
            missing.append("REDIS_URL (or REDIS_HOST and friends)")
        for path in (self.JWT_PRIVATE_KEY_PATH, self.JWT_PUBLIC_KEY_PATH):
            if not Path(path).is_file():
                missing.append(f"JWT key file {path} (run: python generate_keys.py)")
        if missing:
            raise ConfigError("APP_ENV=production cannot start; missing: " + "; ".join(missing))


CONFIGS: dict[str, type[Config]] = {
    "development": Config,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env(environ: Mapping[str, str] | None = None) -> Config:
    """The Config for APP_ENV (default development)."""
    env = os.environ if environ is None else environ
    name = env.get("APP_ENV", "development")
    if name not in CONFIGS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name](env)
