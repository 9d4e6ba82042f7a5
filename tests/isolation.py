"""Each test run gets its own PostgreSQL database and its own Redis key namespace.

So two runs on one machine (two terminals, two worktrees, CI beside a developer) never see each
other's rows or keys. `TEST_DATABASE_URL` names the server, the credentials and a base name: the
run creates `<base>_run_<id>` beside it and drops it at the end. `TEST_REDIS_URL` names the Redis
database: every key the app writes during the run starts with `ecommerce-test-<id>:`, and only
those keys are ever deleted. Leftovers of a run that was killed (SIGKILL, a lost machine) are
swept by a later run once they are `STALE_AFTER_SECONDS` old and nobody is connected to them.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

DEFAULT_DATABASE_URL = "postgresql://ecommerce_user:ecommerce_2024_secure@127.0.0.1:5432/ecommerce_backend_test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
NAMESPACE_PREFIX = "ecommerce-test-"
STALE_AFTER_SECONDS = 6 * 3600
# PostgreSQL names are at most 63 bytes; the migration test adds "_migrations" to ours.
_BASE_NAME_MAX = 63 - len("_run_") - 12 - len("_migrations")
_RUN_ID = re.compile(r"([0-9a-f]{8})[0-9a-f]{4}")


def new_run_id() -> str:
    """Hex seconds since the epoch (for sweeping) and 16 random bits (for uniqueness)."""
    return f"{int(time.time()):08x}{secrets.token_hex(2)}"


def _is_stale(run_id: str, now: float) -> bool:
    """True for the id of a run started more than STALE_AFTER_SECONDS ago."""
    match = _RUN_ID.fullmatch(run_id)
    return match is not None and now - int(match.group(1), 16) > STALE_AFTER_SECONDS


class RunRedis(redis.Redis):
    """A client on the test Redis database that knows this run's namespace."""

    namespace: str

    def key(self, name: str) -> str:
        """The full key of `name` as the app writes it (cache keys, or `limits:...` for rate limits)."""
        return f"{self.namespace}:{name}"

    def delete_run_keys(self) -> int:
        """Delete every key of this run (what FLUSHDB would do, without touching other runs)."""
        return _delete_matching(self, f"{self.namespace}:*")


def _delete_matching(client: redis.Redis, pattern: str) -> int:
    deleted = 0
    batch: list[Any] = []
    for key in client.scan_iter(match=pattern, count=1000):
        batch.append(key)
        if len(batch) >= 500:
            deleted += int(client.unlink(*batch))
            batch.clear()
    if batch:
        deleted += int(client.unlink(*batch))
    return deleted


@dataclass
class TestRun:
    """The database and Redis namespace of one test run."""

    __test__ = False  # not a test class, despite the name

    run_id: str
    database_url: str
    redis_url: str

    @classmethod
    def start(cls, environ: Mapping[str, str] | None = None) -> TestRun:
        env = os.environ if environ is None else environ
        run_id = new_run_id()
        base = make_url(env.get("TEST_DATABASE_URL") or DEFAULT_DATABASE_URL)
        if base.drivername in {"postgres", "postgresql"}:
            base = base.set(drivername="postgresql+psycopg2")  # the driver the app uses
        run = cls(
            run_id=run_id,
            database_url=_create_database(base, run_id),
            redis_url=env.get("TEST_REDIS_URL") or DEFAULT_REDIS_URL,
        )
        run._sweep_stale_keys()
        return run

    @property
    def namespace(self) -> str:
        return f"{NAMESPACE_PREFIX}{self.run_id}"

    def config_environ(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment TestingConfig reads for this run (the real one, with our database and prefixes)."""
        return {
            **(os.environ if environ is None else environ),
            "TEST_DATABASE_URL": self.database_url,
            "TEST_REDIS_URL": self.redis_url,
            "CACHE_KEY_PREFIX": f"{self.namespace}:",
            "RATELIMIT_STORAGE_PREFIX": f"{self.namespace}:limits",
        }

    def redis(self) -> RunRedis:
        client = RunRedis.from_url(self.redis_url, socket_timeout=5, socket_connect_timeout=5)
        client.namespace = self.namespace
        return client

    def finish(self) -> None:
        """Drop the run's database (closing any connection still open to it) and delete its keys."""
        url = make_url(self.database_url)
        with _maintenance_engine(url) as engine, engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        with contextlib.closing(self.redis()) as client, contextlib.suppress(redis.RedisError):
            client.delete_run_keys()

    def _sweep_stale_keys(self) -> None:
        now = time.time()
        with contextlib.closing(self.redis()) as client, contextlib.suppress(redis.RedisError):
            namespaces = {
                key.split(b":", 1)[0].decode(errors="replace")
                for key in client.scan_iter(match=f"{NAMESPACE_PREFIX}*", count=1000)
            }
            for namespace in namespaces:
                if _is_stale(namespace.removeprefix(NAMESPACE_PREFIX), now):
                    _delete_matching(client, f"{namespace}:*")


@contextlib.contextmanager
def _maintenance_engine(url: URL) -> Iterator[Engine]:
    """An autocommit engine on a database that always exists (`postgres`), else on the base database."""
    for database in ("postgres", url.database):
        engine = create_engine(url.set(database=database), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect():
                pass
        except OperationalError:
            engine.dispose()
            continue
        try:
            yield engine
        finally:
            engine.dispose()
        return
    raise RuntimeError(
        f"cannot reach PostgreSQL at {url.render_as_string(hide_password=True)} to create the test database "
        "(is it running? make test-services starts it)"
    )


def _create_database(base: URL, run_id: str) -> str:
    """Create `<base>_run_<id>` owned by the test role, after sweeping stale ones; return its URL."""
    base_name = (base.database or "ecommerce_backend_test")[:_BASE_NAME_MAX]
    name = f"{base_name}_run_{run_id}"
    with _maintenance_engine(base) as engine, engine.connect() as connection:
        _sweep_stale_databases(connection, base_name)
        try:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:
            raise RuntimeError(
                f"cannot create the test database {name} as {base.username}: the role needs CREATEDB "
                "(make setup-db grants it)"
            ) from exc
    return base.set(database=name).render_as_string(hide_password=False)


def _sweep_stale_databases(connection: Any, base_name: str) -> None:
    now = time.time()
    pattern = base_name.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "\\_run\\_%"
    rows = (
        connection.execute(
            text(
                "SELECT datname FROM pg_database d WHERE datname LIKE :pattern "
                "AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)"
            ),
            {"pattern": pattern},
        )
        .scalars()
        .all()
    )
    for name in rows:
        if _is_stale(name.rsplit("_run_", 1)[-1].removesuffix("_migrations"), now):
            with contextlib.suppress(Exception):  # another run may be sweeping it too
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
