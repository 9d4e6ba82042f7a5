"""Two gunicorn instances over one PostgreSQL and one Redis: the servers, a client for them, committed data."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from tests.builders import PASSWORD
from tests.faults.conftest import free_port
from tests.helpers import truncate_all

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class Instance:
    base: str

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None


def login(instance: Instance, email: str) -> dict[str, Any]:
    status, body = instance.call("POST", "/api/users/login", {"email": email, "password": PASSWORD})
    assert status == 200, body
    return body  # type: ignore[no-any-return]


def server_environ(app: Flask, keys_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a production gunicorn on this run's database, Redis namespace and key pair."""
    (keys_dir / "private.pem").write_text(app.config["JWT_PRIVATE_KEY"])
    (keys_dir / "public.pem").write_text(app.config["JWT_PUBLIC_KEY"])
    return {
        **os.environ,
        "APP_ENV": "production",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "JWT_PRIVATE_KEY_PATH": str(keys_dir / "private.pem"),
        "JWT_PUBLIC_KEY_PATH": str(keys_dir / "public.pem"),
        "RATELIMIT_DEFAULT": "10000 per minute",
        "CACHE_KEY_PREFIX": app.config["CACHE_KEY_PREFIX"],
        "RATELIMIT_STORAGE_PREFIX": app.config["RATELIMIT_STORAGE_PREFIX"],
        "WEB_CONCURRENCY": "2",
        **settings,
    }


def _up(base: str) -> bool:
    try:
        urllib.request.urlopen(base + "/api/health/live", timeout=1).close()
        return True
    except OSError:
        return False


@contextmanager
def two_gunicorns(*environs: dict[str, str]) -> Iterator[tuple[Instance, Instance]]:
    """A gunicorn per environment (each on a free port), up and answering; stopped afterwards."""
    processes, bases = [], []
    for environ in environs:
        port = free_port()
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null"],
                cwd=ROOT,
                env=environ | {"BIND": f"127.0.0.1:{port}"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base in bases:
            deadline = time.monotonic() + 30
            while not _up(base):
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        yield Instance(bases[0]), Instance(bases[1])
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)


@pytest.fixture
def committed(app: Flask) -> Iterator[Session]:
    """A session that commits for real (the servers see it); every table is emptied afterwards."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    session = Session(engine)
    yield session
    session.close()
    with engine.begin() as connection:
        truncate_all(connection)
    engine.dispose()


@pytest.fixture
def instances(app: Flask, tmp_path: Path, committed: Session) -> Iterator[tuple[Instance, Instance]]:
    environ = server_environ(app, tmp_path, RATELIMIT_LOGIN="4 per minute")
    with two_gunicorns(environ, environ) as pair:
        yield pair
