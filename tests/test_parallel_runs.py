"""Test runs on one machine stay apart: a database and a Redis key namespace of their own, swept when stale."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.isolation import STALE_AFTER_SECONDS, TestRun

ROOT = Path(__file__).resolve().parent.parent


def database_exists(run: TestRun, name: str) -> bool:
    engine = create_engine(run.database_url, poolclass=NullPool)
    with engine.connect() as connection:
        found = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    engine.dispose()
    return found is not None


def test_two_runs_get_their_own_database_and_keys_and_leave_nothing_behind(test_run: TestRun) -> None:
    first, second = TestRun.start(), TestRun.start()
    names = [make_url(run.database_url).database for run in (first, second)]
    try:
        assert names[0] != names[1] and first.namespace != second.namespace
        with first.redis() as one, second.redis() as two:
            one.set(one.key("gen:catalog"), 1)
            two.set(two.key("gen:catalog"), 2)
            one.delete_run_keys()
            assert two.get(two.key("gen:catalog")) == b"2"  # the other run's keys are untouched
    finally:
        first.finish()
        second.finish()
    assert not any(database_exists(test_run, str(name)) for name in names)
    with second.redis() as two:
        assert two.get(two.key("gen:catalog")) is None


def test_a_killed_runs_stale_database_and_keys_are_swept(test_run: TestRun) -> None:
    old_id = f"{int(time.time() - STALE_AFTER_SECONDS - 60):08x}beef"
    base = make_url(test_run.database_url).database.rsplit("_run_", 1)[0]  # type: ignore[union-attr]
    stale_name = f"{base}_run_{old_id}"
    admin = create_engine(test_run.database_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{stale_name}"'))
    admin.dispose()
    with test_run.redis() as client:
        client.set(f"ecommerce-test-{old_id}:gen:catalog", 1)

    TestRun.start().finish()

    assert not database_exists(test_run, stale_name)
    with test_run.redis() as client:
        assert client.get(f"ecommerce-test-{old_id}:gen:catalog") is None


def make_dry_run(*arguments: str) -> str:
    result = subprocess.run(["make", "-n", "test", *arguments], cwd=ROOT, capture_output=True, text=True, timeout=60)
    return result.stdout


def test_the_coverage_floor_applies_to_the_full_suite_only() -> None:
    assert "--cov-fail-under=95" in make_dry_run()
    partial = make_dry_run("PYTEST_ARGS=-k checkout -x")
    assert "--cov-fail-under=0" in partial and "-k checkout -x" in partial
