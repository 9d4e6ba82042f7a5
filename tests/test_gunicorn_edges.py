"""What gunicorn (gunicorn.conf.py) does at its edges: limits, chunked bodies and the access log."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_jwt_extended import create_access_token
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import AuthSession
from app.models.base import utcnow
from tests.builders import make_user
from tests.faults.conftest import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
MAX_BODY = 1024


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes

    def problem(self) -> dict[str, Any]:
        assert self.content_type == "application/problem+json", (self.status, self.body[:200])
        document: dict[str, Any] = json.loads(self.body)
        assert document["status"] == self.status
        return document


@dataclass(frozen=True)
class Gunicorn:
    port: int
    access_log: Path

    def send(self, method: str, target: str, *, headers: dict[str, str] | None = None, body: Any = None) -> Answer:
        """One request on its own connection; `body` may be an iterable of chunks (sent chunked)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            chunked = body is not None and not isinstance(body, bytes)
            connection.request(method, target, body=body, headers=headers or {}, encode_chunked=chunked)
            response = connection.getresponse()
            return Answer(response.status, response.getheader("Content-Type", ""), response.read())
        finally:
            connection.close()

    def access_lines(self, marker: str) -> list[str]:
        deadline = time.monotonic() + 5
        while True:
            lines = self.access_log.read_text().splitlines()
            if any(marker in line for line in lines) or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)


@pytest.fixture(scope="module")
def gunicorn(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    """gunicorn with gunicorn.conf.py, in production mode, on the test database and Redis."""
    folder = tmp_path_factory.mktemp("gunicorn")
    (folder / "private.pem").write_text(app.config["JWT_PRIVATE_KEY"])
    (folder / "public.pem").write_text(app.config["JWT_PUBLIC_KEY"])
    access_log = folder / "access.log"
    access_log.touch()
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "production",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "JWT_PRIVATE_KEY_PATH": str(folder / "private.pem"),
        "JWT_PUBLIC_KEY_PATH": str(folder / "public.pem"),
        "CACHE_KEY_PREFIX": app.config["CACHE_KEY_PREFIX"],
        "RATELIMIT_ENABLED": "false",
        "MAX_CONTENT_LENGTH": str(MAX_BODY),
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--no-control-socket"]
    process = subprocess.Popen(
        [*command, "--access-logfile", str(access_log), "--error-logfile", str(folder / "error.log")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Gunicorn(port, access_log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if server.send("GET", "/api/health/live").status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture
def committed(app: Flask) -> Iterator[Session]:
    """A session that really commits, for rows gunicorn must see; every table is emptied afterwards."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    session = Session(engine, expire_on_commit=False)
    yield session
    session.close()
    with engine.begin() as connection:
        tables = ", ".join(t.name for t in db.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


def bearer_header_of_size(app: Flask, session: Session, size: int) -> dict[str, str]:
    """A valid access token for a new user, padded with a claim so that the header line is `size` bytes."""
    user = make_user(session)
    login = AuthSession(
        id=str(uuid.uuid4()), user_id=user.id, refresh_jti=str(uuid.uuid4()), expires_at=utcnow() + timedelta(days=1)
    )
    session.add(login)
    session.commit()

    def mint(padding: int) -> str:
        with app.app_context():
            claims = {"sid": login.id, "role": user.role, "pad": "x" * padding}
            return str(create_access_token(identity=str(user.id), additional_claims=claims))

    overhead = len("Authorization: Bearer ") + len(mint(0))
    token = mint((size - overhead) * 3 // 4)  # base64url grows the claim by 4/3
    while len("Authorization: Bearer ") + len(token) < size:
        token = mint(len(token) - overhead + 1)
    return {"Authorization": f"Bearer {token}"}


# --- limits: legitimate requests reach the app -------------------------------------------------


def test_a_valid_bearer_token_in_an_8_kib_header_reaches_the_app(
    gunicorn: Gunicorn, app: Flask, committed: Session
) -> None:
    headers = bearer_header_of_size(app, committed, 8 * 1024)
    assert len("Authorization: " + headers["Authorization"]) >= 8 * 1024
    answer = gunicorn.send("GET", "/api/users/me", headers=headers)
    assert answer.status == 200, answer.body[:300]


def test_a_long_request_line_reaches_the_app_and_gets_its_problem_document(gunicorn: Gunicorn) -> None:
    target = "/api/products?q=" + "%F0%9F%9B%92" * 500  # 6 KiB of percent-encoded emoji
    answer = gunicorn.send("GET", target)
    assert answer.status == 422
    assert list(answer.problem()["errors"]) == ["q"]


def test_what_remains_gunicorns_own_answer_is_past_the_documented_limits(gunicorn: Gunicorn) -> None:
    assert gunicorn.send("GET", "/api/health/live", headers={"X-Big": "x" * 16_000}).status == 200
    assert gunicorn.send("GET", "/api/health/live", headers={"X-Big": "x" * 16_400}).status == 431
    assert gunicorn.send("GET", "/api/health/live?x=" + "x" * 8_200).status == 414
    many = {f"X-H{i}": "1" for i in range(90)}
    assert gunicorn.send("GET", "/api/health/live", headers=many).status == 200
    too_many = {f"X-H{i}": "1" for i in range(101)}
    assert gunicorn.send("GET", "/api/health/live", headers=too_many).status == 431


# --- bodies ------------------------------------------------------------------------------------


def chunks(body: bytes, size: int = 100) -> Iterator[bytes]:
    return (body[i : i + size] for i in range(0, len(body), size))


def test_a_chunked_body_over_max_content_length_is_a_413_problem(gunicorn: Gunicorn) -> None:
    body = json.dumps({"email": "a@example.com", "password": "p" * MAX_BODY}).encode()
    answer = gunicorn.send("POST", "/api/users/login", headers={"Content-Type": "application/json"}, body=chunks(body))
    assert answer.problem()["code"] == "payload_too_large"
    assert answer.status == 413


def test_a_chunked_body_within_max_content_length_is_read_whole(gunicorn: Gunicorn) -> None:
    body = json.dumps({"email": "nobody@example.com", "password": "p" * 100}).encode() + b" " * 850
    assert MAX_BODY - 100 < len(body) < MAX_BODY
    answer = gunicorn.send("POST", "/api/users/login", headers={"Content-Type": "application/json"}, body=chunks(body))
    assert answer.status == 401
    assert answer.problem()["code"] == "invalid_credentials"


# --- the access log ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/api/x%0aforged=1%20status=200", "/api/x%0d%0arequest_id=forged", "/api/%1b[31mred?q=%0a"],
    ids=["lf", "crlf", "escape-sequence"],
)
def test_the_access_log_writes_the_raw_target_so_no_request_forges_a_line(gunicorn: Gunicorn, target: str) -> None:
    marker = uuid.uuid4().hex
    gunicorn.send("GET", target, headers={"X-Request-ID": marker})
    lines = [line for line in gunicorn.access_lines(marker) if marker in line]
    assert len(lines) == 1
    assert f" target={target} " in lines[0]
    assert all(line.startswith("request_id=") for line in gunicorn.access_log.read_text().splitlines())
