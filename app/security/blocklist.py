"""The Redis blocklist access tokens are checked against; PostgreSQL stays the truth behind it.

The whole blocklist is ONE Redis hash (BLOCKLIST_KEY, no TTL), so whatever loses it (FLUSHDB, a
restart without persistence, the eviction of that key) loses its marker with it:

    ready     when the PostgreSQL snapshot it was last rebuilt from was taken (epoch seconds): the marker
    claim     "<epoch seconds> <nonce>" of the process rebuilding it now (one at a time)
    s:<sid>   login session <sid> is revoked (logout, refresh-token reuse, password change); value: when
    u:<uid>   access tokens of user <uid> issued before this time are void (role change, deactivation)

A check is one HMGET of `ready`, `s:<sid>` and `u:<uid>`. With `ready` present and recent the answer
is final; without it (or while Redis is unreachable) the caller asks PostgreSQL instead, exactly as
before this blocklist existed, and the check may hand it a claim to rebuild the hash from the rows
revoked or voided within one access-token lifetime. Every BLOCKLIST_RESYNC_SECONDS one process also
reconciles the hash with PostgreSQL the same way, which bounds the life of an entry lost without
losing the marker (a write that timed out, a failover to a lagging replica); a process whose own
write failed replays it before its next check and asks PostgreSQL until then.

Entries are written after the PostgreSQL commit (the unit of work's after-commit hook) and only ever
raised (a mark never moves back); a reconciliation drops those older than one access-token lifetime
(plus a margin for clock skew), when no token they could affect is still valid.
"""

from __future__ import annotations

import enum
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast

import redis
from flask import current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.config import REDIS_SOCKET_OPTIONS

log = logging.getLogger(__name__)

READY = "ready"
CLAIM = "claim"
# Entries outlive the tokens they void by this much (clock skew between servers and the database).
SKEW_MARGIN_SECONDS = 60.0
# A claim older than this is abandoned (its process died mid-rebuild) and may be taken over.
CLAIM_HOLD_SECONDS = 5.0
# After a Redis error, skip Redis (ask PostgreSQL) for this long instead of waiting on each request.
RETRY_AFTER_SECONDS = 2.0
WARN_EVERY_SECONDS = 30.0
# Entries per script call when rebuilding (the marker goes with the last batch).
BATCH = 500
# Failed writes kept for replay, at most (beyond that the next reconciliation restores them).
MAX_PENDING = 10_000

# KEYS[1] the hash. ARGV[1] now, ARGV[2] how long a claim holds, ARGV[3] the new claim.
# Returns 1 when the claim was taken.
_CLAIM_SCRIPT = """
local current = redis.call('HGET', KEYS[1], 'claim')
if current then
  local claimed_at = tonumber(string.match(current, '^%S+'))
  if claimed_at and math.abs(tonumber(ARGV[1]) - claimed_at) < tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('HSET', KEYS[1], 'claim', ARGV[3])
return 1
"""

# KEYS[1] the hash. ARGV[1] the claim that took the snapshot ('' for a plain write), ARGV[2] the
# snapshot's time, ARGV[3] drop entries older than this ('' for none), ARGV[4..] field, value pairs.
# Values only ever go up. The marker is set only if the claim is still there: a hash flushed or
# evicted since the claim (with entries the snapshot may predate) must not be marked complete.
_RECORD_SCRIPT = """
for i = 4, #ARGV, 2 do
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '')
  if not current or current < tonumber(ARGV[i + 1]) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
if ARGV[3] ~= '' then
  local cutoff = tonumber(ARGV[3])
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    local kind = string.sub(all[i], 1, 2)
    if (kind == 's:' or kind == 'u:') and (tonumber(all[i + 1]) or 0) < cutoff then
      redis.call('HDEL', KEYS[1], all[i])
    end
  end
end
if ARGV[1] == '' then
  return 1
end
if redis.call('HGET', KEYS[1], 'claim') ~= ARGV[1] then
  return 0
end
local ready = tonumber(redis.call('HGET', KEYS[1], 'ready') or '')
if not ready or ready < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'ready', ARGV[2])
end
redis.call('HDEL', KEYS[1], 'claim')
return 1
"""


class Verdict(enum.Enum):
    LIVE = "live"
    REVOKED = "revoked"
    UNKNOWN = "unknown"  # the blocklist cannot be trusted: ask PostgreSQL


@dataclass(frozen=True)
class Lookup:
    verdict: Verdict
    claim: str | None = None  # set when this caller should rebuild the hash (Blocklist.rebuild)
    lost: bool = False  # the hash had no (usable) marker: a rebuild, not a routine reconciliation


class RevocationSource(Protocol):
    """Where the blocklist is rebuilt from (UserRepo): PostgreSQL's revoked sessions and voided users."""

    def revoked_since(self, since: datetime) -> list[tuple[str, datetime]]: ...

    def voided_since(self, since: datetime) -> list[tuple[int, datetime]]: ...


def redis_client(url: str) -> redis.Redis:
    """The blocklist's own client (it connects at once: call where a RedisError is handled).

    Short timeouts and no retries (redis-py 7 retries 3 times with a back-off of seconds by default),
    so a dead or hung Redis costs one short wait, then PostgreSQL answers. One connection, not a pool:
    checking a connection out of a pool and back costs more client time than the HMGET itself
    (measured: 55 against 31 microseconds of CPU per check); redis-py locks it for threads.
    """
    return redis.Redis.from_url(url, **REDIS_SOCKET_OPTIONS, retry=Retry(NoBackoff(), 0), single_connection_client=True)


def _number(raw: Any) -> float | None:
    if raw is None:
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


def _session_field(session_id: str) -> str:
    return f"s:{session_id}"


def _user_field(user_id: int) -> str:
    return f"u:{user_id}"


class Blocklist:
    """One process's view of the blocklist: reads, after-commit writes, rebuilds."""

    def __init__(
        self,
        connect: Callable[[], redis.Redis] | None,
        *,
        key: str,
        access_lifetime: float,
        resync_seconds: float,
        retry_after: float = RETRY_AFTER_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._connect = connect  # None: no Redis, every answer is UNKNOWN
        self._redis: redis.Redis | None = None
        self._pid = 0
        self.retry_after = retry_after
        self.key = key
        self.window = access_lifetime + SKEW_MARGIN_SECONDS
        self.resync_seconds = resync_seconds
        self.clock = clock
        self._down_until = 0.0
        self._last_warning = -float("inf")
        self._pending: dict[str, float] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Blocklist:
        url = config.get("BLOCKLIST_REDIS_URL") or config.get("REDIS_URL")
        return cls(
            (lambda: redis_client(url)) if url else None,
            key=config["BLOCKLIST_KEY"],
            access_lifetime=config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds(),
            resync_seconds=float(config["BLOCKLIST_RESYNC_SECONDS"]),
            retry_after=float(config.get("BLOCKLIST_RETRY_AFTER_SECONDS", RETRY_AFTER_SECONDS)),
        )

    # Reads

    def check(self, *, session_id: str, user_id: int, issued_at: float) -> Lookup:
        """Is this access token revoked? One round trip; UNKNOWN when the blocklist cannot be trusted."""
        if self._connect is None or not self._reachable() or not self._replay_pending():
            return Lookup(Verdict.UNKNOWN)
        try:
            fields = [READY, _session_field(session_id), _user_field(user_id)]
            ready, session, mark = cast(list[Any], self._client().hmget(self.key, fields))
        except redis.RedisError as error:
            self._failed("check", error)
            return Lookup(Verdict.UNKNOWN)
        now = self.clock()
        ready_at = _number(ready)
        if ready_at is None or abs(now - ready_at) > 2 * self.resync_seconds:
            # Lost (flushed, evicted, restarted empty) or too old to vouch for (restored from an old
            # snapshot, nobody reconciled it): PostgreSQL decides, and someone rebuilds it.
            return Lookup(Verdict.UNKNOWN, claim=self._try_claim(now), lost=True)
        not_before = _number(mark)
        revoked = session is not None or (not_before is not None and issued_at < not_before)
        claim = self._try_claim(now) if now - ready_at > self.resync_seconds else None
        return Lookup(Verdict.REVOKED if revoked else Verdict.LIVE, claim=claim)

    # Writes (after the PostgreSQL commit)

    def revoke_sessions(self, sessions: Iterable[tuple[str, datetime]]) -> None:
        """These login sessions were revoked: their access tokens stop working now."""
        self._write({_session_field(sid): at.timestamp() for sid, at in sessions})

    def void_tokens(self, user_id: int, before: datetime) -> None:
        """The user's access tokens issued before `before` stop working now (role change, deactivation)."""
        self._write({_user_field(user_id): before.timestamp()})

    def rebuild(self, claim: str, source: RevocationSource, *, lost: bool = True) -> bool:
        """Refill the hash from PostgreSQL and mark it complete (the caller holds `claim` from check).

        Returns False when the hash was lost again meanwhile (the marker is then left unset).
        """
        snapshot_at = self.clock()  # after the claim, before the queries: every commit before it is read
        since = datetime.fromtimestamp(snapshot_at - self.window, tz=UTC)
        entries = {_session_field(sid): at.timestamp() for sid, at in source.revoked_since(since)}
        entries.update({_user_field(uid): at.timestamp() for uid, at in source.voided_since(since)})
        items = list(entries.items())
        batches = [items[i : i + BATCH] for i in range(0, len(items), BATCH)] or [[]]
        try:
            self._client()
            for batch in batches[:-1]:
                self._record(keys=[self.key], args=["", "", "", *self._flatten(batch)])
            done = self._record(
                keys=[self.key],
                args=[claim, repr(snapshot_at), repr(snapshot_at - self.window), *self._flatten(batches[-1])],
            )
        except redis.RedisError as error:
            self._failed("rebuild", error)
            return False
        log.log(
            logging.INFO if lost else logging.DEBUG,
            "blocklist %s from PostgreSQL: %d entries",
            "rebuilt" if lost else "reconciled",
            len(items),
        )
        return bool(done)

    # Internals

    @staticmethod
    def _flatten(entries: Iterable[tuple[str, float]]) -> list[str]:
        return [part for field, value in entries for part in (field, repr(value))]

    def _client(self) -> redis.Redis:
        """The connected client of this process (a forked worker makes its own); may raise RedisError."""
        assert self._connect is not None
        if self._redis is None or self._pid != os.getpid():
            client = self._connect()
            self._claim = client.register_script(_CLAIM_SCRIPT)
            self._record = client.register_script(_RECORD_SCRIPT)
            self._redis, self._pid = client, os.getpid()
        return self._redis

    def _write(self, entries: dict[str, float]) -> None:
        if self._connect is None or not entries:
            return
        for attempt in range(2):
            try:
                self._client()
                self._record(keys=[self.key], args=["", "", "", *self._flatten(entries.items())])
                return
            except redis.RedisError as error:
                if attempt == 1:
                    self._failed("write", error)
        with self._lock:
            for field, value in entries.items():
                if len(self._pending) < MAX_PENDING:
                    self._pending[field] = max(value, self._pending.get(field, value))
        log.error("blocklist write failed; %d entries kept for replay, PostgreSQL decides meanwhile", len(entries))

    def _replay_pending(self) -> bool:
        """Write what failed before; True when nothing is left pending (the hash can be trusted)."""
        if not self._pending:
            return True
        with self._lock:
            pending = dict(self._pending)
        try:
            self._client()
            self._record(keys=[self.key], args=["", "", "", *self._flatten(pending.items())])
        except redis.RedisError as error:
            self._failed("replay", error)
            return False
        with self._lock:
            for field, value in pending.items():
                if self._pending.get(field) == value:
                    del self._pending[field]
        log.info("blocklist: %d pending entries replayed", len(pending))
        return not self._pending

    def _try_claim(self, now: float) -> str | None:
        claim = f"{now!r} {uuid.uuid4().hex}"
        try:
            self._client()
            taken = self._claim(keys=[self.key], args=[repr(now), repr(CLAIM_HOLD_SECONDS), claim])
        except redis.RedisError as error:
            self._failed("claim", error)
            return None
        return claim if taken else None

    def _reachable(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, operation: str, error: Exception) -> None:
        now = time.monotonic()
        self._down_until = now + self.retry_after
        if now - self._last_warning >= WARN_EVERY_SECONDS:
            self._last_warning = now
            log.warning(
                "blocklist Redis unavailable during %s (%s: %s); checking tokens in PostgreSQL for %.0fs",
                operation,
                type(error).__name__,
                error,
                self.retry_after,
            )


def current_blocklist() -> Blocklist:
    """This app's blocklist (created on first use from the config)."""
    blocklist: Blocklist | None = current_app.extensions.get("blocklist")
    if blocklist is None:
        blocklist = Blocklist.from_config(current_app.config)
        current_app.extensions["blocklist"] = blocklist
    return blocklist
