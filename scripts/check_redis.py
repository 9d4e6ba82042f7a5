"""Ping the Redis the app is configured to use (`make check-redis`).

Reads REDIS_URL, or REDIS_HOST/REDIS_PORT/REDIS_USERNAME/REDIS_PASSWORD/REDIS_SSL/REDIS_DB, from
the environment and .env, the same way app/config.py does. Exits 1 when Redis does not answer.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import redis
from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
TRUE_VALUES = {"1", "true", "yes", "on"}


def make_client() -> tuple[redis.Redis, str] | None:
    """Return a client and its host:port for display, or None when Redis is not configured."""
    url = os.environ.get("REDIS_URL")
    if url:
        parts = urlsplit(url)
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        return client, f"{parts.hostname}:{parts.port or 6379}"
    host = os.environ.get("REDIS_HOST")
    if not host:
        return None
    port = int(os.environ.get("REDIS_PORT", "6379"))
    password = os.environ.get("REDIS_PASSWORD") or None
    client = redis.Redis(
        host=host,
        port=port,
        db=int(os.environ.get("REDIS_DB", "0")),
        username=os.environ.get("REDIS_USERNAME", "default") if password else None,
        password=password,
        ssl=os.environ.get("REDIS_SSL", "").strip().lower() in TRUE_VALUES,
        socket_connect_timeout=5,
        socket_timeout=5,
    )
    return client, f"{host}:{port}"


def main() -> int:
    load_dotenv(ROOT / ".env")
    configured = make_client()
    if configured is None:
        print("Redis: not configured (in-process cache)")
        return 0
    client, where = configured
    try:
        client.ping()
    except redis.RedisError as exc:
        print(f"Redis error at {where}: {exc}", file=sys.stderr)
        return 1
    print(f"Redis OK at {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
