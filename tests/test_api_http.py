"""api.http replays as written: parsed by REST Client's rules, sent in file order to a fresh `make dev`.

The app here is what `make dev` runs (development config from env.example: SQLite, in-process cache,
rate limits on), migrated and seeded with the same CLI commands; only the transport is the test client.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.config import Config
from app.extensions import db
from scripts.sync_env import settings
from tests.rest_client import FILE_VARIABLE, parse, replay

ROOT = Path(__file__).resolve().parent.parent
API_HTTP = ROOT / "api.http"

pytestmark = [pytest.mark.embedded, pytest.mark.usefixtures("rate_limits_as_configured")]


def env_example() -> dict[str, str]:
    """What `make dev` writes to .env on a fresh clone (REST Client's {{$dotenv}} reads the same file)."""
    return {key: line.split("=", 1)[1] for key, line in settings((ROOT / "env.example").read_text()).items()}


@pytest.fixture
def fresh_make_dev(tmp_path: Path, rsa_keys: dict[str, str]) -> Flask:
    app = create_app(
        Config(env_example()),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'dev.db'}",
        PASSWORD_HASH_PROFILE="fast",
        **rsa_keys,
    )
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    seeded = runner.invoke(args=["seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_api_http_replays_in_file_order_with_the_statuses_it_states(fresh_make_dev: Flask) -> None:
    client = fresh_make_dev.test_client()

    def send(method: str, url: str, headers: dict[str, str], body: str | None) -> tuple[int, dict[str, str], str]:
        response = client.open(url, method=method, headers=headers, data=body)
        return response.status_code, dict(response.headers), response.get_data(as_text=True)

    outcomes = replay(parse(API_HTTP.read_text()), send, env_example())

    report = "\n".join(outcome.describe() for outcome in outcomes)
    assert all(outcome.as_expected for outcome in outcomes), report
    assert len(outcomes) >= 60, report  # every endpoint, and the errors worth seeing
    methods_and_paths = {(o.exchange.method, re.sub(r"/\d+", "/{id}", o.exchange.url.split("?")[0])) for o in outcomes}
    assert len(methods_and_paths) >= 36, report


def test_api_http_keeps_variable_lines_out_of_requests() -> None:
    """A `@x = ...` line right after a request, with no ### between, would be sent as part of it."""
    for request in parse(API_HTTP.read_text()).requests:
        lines = [f"{name}: {value}" for name, value in request.headers] + (request.body or "").splitlines()
        assert not any(FILE_VARIABLE.match(line) for line in lines), f"line {request.line}: {request.title}"


def test_api_http_needs_nothing_pasted_by_hand() -> None:
    text = API_HTTP.read_text()
    assert not re.search(r"paste|<token>|changeme", text, re.IGNORECASE)
    for name in re.findall(r"\{\{\$dotenv (\w+)\}\}", text):
        assert name in env_example(), f"{name} is read from .env but env.example does not set it"


# REST Client's rules, as the replay above applies them.


def test_a_variable_defined_right_after_a_request_is_part_of_its_body() -> None:
    http = parse(
        'POST http://h/login\nContent-Type: application/json\n\n{"a": 1}\n\n@token = x\n\n### next\nGET http://h/'
    )
    assert http.requests[0].body == '{"a": 1}\n\n@token = x'
    assert http.variables == {"token": "x"}


def test_named_requests_chain_body_and_header_values() -> None:
    http = parse(
        "@base = http://h\n@id = {{made.response.body.$.items[1].id}}\n"
        "###\n# @name made\nPOST {{base}}/things\n\n{}\n"
        "###\n# expect 404\nGET {{base}}/things/{{id}}\nIf-None-Match: {{made.response.headers.etag}}\n"
    )
    sent: list[tuple[str, str, dict[str, str]]] = []

    def send(method: str, url: str, headers: dict[str, str], body: str | None) -> tuple[int, dict[str, str], str]:
        sent.append((method, url, headers))
        return (201, {"ETag": '"v1"'}, '{"items": [{"id": 1}, {"id": 7}]}') if method == "POST" else (404, {}, "")

    outcomes = replay(http, send, {})
    assert sent[1] == ("GET", "http://h/things/7", {"If-None-Match": '"v1"'})
    assert [o.as_expected for o in outcomes] == [True, True]
    assert http.requests[0].name == "made" and http.requests[1].expect == 404
