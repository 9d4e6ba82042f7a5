"""The blocklist hash on a real Redis: its marker, claims, rebuilds, reconciliation and failed writes."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis
from flask import Flask

from app.security.blocklist import Blocklist, Verdict, redis_client
from tests.faults.conftest import free_port
from tests.security.conftest import OwnRedis, redis_of

KEY = "blocklist-unit"  # on an own Redis server; on the tests' Redis the `blocklist` fixture names its key
LIFETIME = 900.0
RESYNC = 30.0


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Source:
    """What PostgreSQL would answer to a rebuild."""

    def __init__(self) -> None:
        self.sessions: list[tuple[str, datetime]] = []
        self.users: list[tuple[int, datetime]] = []
        self.on_query: list[object] = []

    def revoked_since(self, since: datetime) -> list[tuple[str, datetime]]:
        for hook in self.on_query:
            hook()  # type: ignore[operator]
        return [(sid, at) for sid, at in self.sessions if at >= since]

    def voided_since(self, since: datetime) -> list[tuple[int, datetime]]:
        return [(uid, at) for uid, at in self.users if at >= since]


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


@pytest.fixture
def client(app: Flask, redis_db: redis.Redis) -> Iterator[redis.Redis]:
    client = redis_client(app.config["REDIS_URL"])
    yield client
    client.close()
    client.connection_pool.disconnect()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def blocklist(app: Flask, client: redis.Redis, clock: Clock) -> Blocklist:
    key = f"{app.config['BLOCKLIST_KEY']}-unit"  # within the tests' key namespace, emptied before each test
    return Blocklist(lambda: client, key=key, access_lifetime=LIFETIME, resync_seconds=RESYNC, clock=clock)


def rebuilt(blocklist: Blocklist, source: Source | None = None) -> Blocklist:
    lookup = blocklist.check(session_id="warm-up", user_id=1, issued_at=0)
    assert lookup.verdict is Verdict.UNKNOWN and lookup.claim is not None
    assert blocklist.rebuild(lookup.claim, source or Source())
    return blocklist


def test_without_a_marker_the_blocklist_is_not_trusted_and_the_asker_claims_the_rebuild(blocklist: Blocklist) -> None:
    blocklist.revoke_sessions([("s1", at(time.time()))])  # an entry alone is no proof of completeness
    first = blocklist.check(session_id="s2", user_id=1, issued_at=time.time())
    second = blocklist.check(session_id="s2", user_id=1, issued_at=time.time())
    assert first.verdict is Verdict.UNKNOWN and first.claim is not None
    assert second.verdict is Verdict.UNKNOWN and second.claim is None  # one rebuild at a time


def test_after_a_rebuild_the_blocklist_answers(blocklist: Blocklist, clock: Clock) -> None:
    source = Source()
    source.sessions.append(("revoked", at(clock.now - 60)))
    source.users.append((7, at(clock.now - 10)))
    rebuilt(blocklist, source)
    assert blocklist.check(session_id="revoked", user_id=1, issued_at=clock.now).verdict is Verdict.REVOKED
    assert blocklist.check(session_id="live", user_id=7, issued_at=clock.now - 11).verdict is Verdict.REVOKED
    assert blocklist.check(session_id="live", user_id=7, issued_at=clock.now - 9).verdict is Verdict.LIVE
    assert blocklist.check(session_id="live", user_id=8, issued_at=0).verdict is Verdict.LIVE


def test_a_mark_never_moves_back(blocklist: Blocklist, clock: Clock) -> None:
    rebuilt(blocklist)
    blocklist.void_tokens(7, at(clock.now))
    blocklist.void_tokens(7, at(clock.now - 100))  # a late, older write (a reconciliation's, say)
    assert blocklist.check(session_id="s", user_id=7, issued_at=clock.now - 50).verdict is Verdict.REVOKED


def test_a_rebuild_does_not_mark_a_hash_that_was_lost_after_the_claim(
    blocklist: Blocklist, client: redis.Redis, clock: Clock
) -> None:
    """A revocation written between the claim and the flush is gone, and the snapshot may predate it."""
    lookup = blocklist.check(session_id="s", user_id=1, issued_at=0)
    assert lookup.claim is not None
    source = Source()
    source.on_query.append(lambda: client.delete(blocklist.key))
    assert blocklist.rebuild(lookup.claim, source) is False
    assert client.hget(blocklist.key, "ready") is None
    assert blocklist.check(session_id="s", user_id=1, issued_at=0).verdict is Verdict.UNKNOWN


def test_a_stale_marker_is_reconciled_by_one_process_and_a_very_stale_one_is_not_trusted(
    blocklist: Blocklist, clock: Clock
) -> None:
    rebuilt(blocklist)
    clock.now += RESYNC + 1  # due: still trusted, one asker reconciles
    due = blocklist.check(session_id="s", user_id=1, issued_at=clock.now)
    assert due.verdict is Verdict.LIVE and due.claim is not None
    assert blocklist.check(session_id="s", user_id=1, issued_at=clock.now).claim is None
    clock.now += RESYNC * 2  # nobody reconciled (or Redis came back from an old snapshot)
    assert blocklist.check(session_id="s", user_id=1, issued_at=clock.now).verdict is Verdict.UNKNOWN


def test_a_reconciliation_drops_entries_no_valid_token_can_need(
    blocklist: Blocklist, client: redis.Redis, clock: Clock
) -> None:
    blocklist.revoke_sessions([("old", at(clock.now - LIFETIME - 120)), ("recent", at(clock.now - 5))])
    blocklist.void_tokens(3, at(clock.now - LIFETIME - 120))
    rebuilt(blocklist)
    fields = set(client.hkeys(blocklist.key))
    assert b"s:recent" in fields
    assert b"s:old" not in fields and b"u:3" not in fields


def test_a_failed_write_is_replayed_before_the_next_answer(own_redis: OwnRedis, clock: Clock) -> None:
    client = redis_client(own_redis.url)
    blocklist = Blocklist(
        lambda: client, key=KEY, access_lifetime=LIFETIME, resync_seconds=RESYNC, retry_after=0, clock=clock
    )
    rebuilt(blocklist)
    own_redis.kill()
    blocklist.revoke_sessions([("logged-out", at(clock.now))])  # Redis is gone: the write fails, kept
    assert blocklist.check(session_id="logged-out", user_id=1, issued_at=clock.now).verdict is Verdict.UNKNOWN
    own_redis.start()
    redis_of(own_redis).hset(KEY, mapping={"ready": repr(clock.now)})  # back, marked, without the entry
    # The replay comes first, so the entry is there before anyone is told the token is live.
    assert blocklist.check(session_id="logged-out", user_id=1, issued_at=clock.now).verdict is Verdict.REVOKED
    assert redis_of(own_redis).hget(KEY, "s:logged-out") is not None
    client.close()
    client.connection_pool.disconnect()


def test_without_redis_every_answer_comes_from_postgresql() -> None:
    blocklist = Blocklist(None, key=KEY, access_lifetime=LIFETIME, resync_seconds=RESYNC)
    blocklist.revoke_sessions([("s", at(time.time()))])  # nothing to write to, nothing raised
    lookup = blocklist.check(session_id="s", user_id=1, issued_at=time.time())
    assert lookup.verdict is Verdict.UNKNOWN and lookup.claim is None


@pytest.fixture
def hung_redis() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung Redis)."""
    port = free_port()
    server = socket.socket()
    server.bind(("127.0.0.1", port))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield port
    stop.set()
    thread.join(timeout=5)
    for connection in accepted:
        connection.close()
    server.close()


def test_a_hung_redis_costs_one_short_timeout_then_is_skipped(hung_redis: int) -> None:
    clients: list[redis.Redis] = []

    def connect() -> redis.Redis:
        clients.append(redis_client(f"redis://127.0.0.1:{hung_redis}/0"))  # connects (accepted), then hangs
        return clients[-1]

    blocklist = Blocklist(connect, key=KEY, access_lifetime=LIFETIME, resync_seconds=RESYNC, retry_after=5)
    started = time.monotonic()
    assert blocklist.check(session_id="s", user_id=1, issued_at=0).verdict is Verdict.UNKNOWN
    first = time.monotonic() - started
    for _ in range(20):
        assert blocklist.check(session_id="s", user_id=1, issued_at=0).verdict is Verdict.UNKNOWN
    elapsed = time.monotonic() - started
    for client in clients:
        client.close()
        client.connection_pool.disconnect()
    assert first < 1.0
    assert elapsed < first + 0.2
