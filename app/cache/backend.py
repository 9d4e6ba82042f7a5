"""Where cached bytes live: Redis through a plain redis-py client, a small in-process dict, or nowhere.

Values are bytes the app parses as data (never pickles). A read of a cached response is ONE round
trip: a Lua script reads the generations of its families, the entry, and (for catalog entries) the
live stock of every product the entry lists, and checks the entry's generations itself.

Generations: a missing generation (first use, flush, eviction of that key alone) is recreated from
the Redis server's clock in microseconds, and a bump sets max(old + 1, now), so a generation that
restarts is always above any value an earlier entry can carry (those were all issued at or before
their own "now"). The same rule holds in the in-process store with the process clock.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

import redis

MAGIC = b"E1\n"  # every entry starts with it; anything else (an old pickle) is a miss

# KEYS: the generation keys, then the entry key. ARGV[1]: the stock key prefix ("" = no stock).
# Returns {generations joined by ",", the entry or false, the listed ids' stock values joined by ","}.
_READ = """
local n = #KEYS - 1
local gens = {}
local now = nil
for i = 1, n do
  local g = redis.call('GET', KEYS[i])
  if not g then
    if not now then
      local t = redis.call('TIME')
      now = t[1] .. string.format('%06d', tonumber(t[2]))
    end
    g = now
    redis.call('SET', KEYS[i], g)
  end
  gens[i] = g
end
local joined = table.concat(gens, ',')
local entry = redis.call('GET', KEYS[n + 1])
if not entry or string.sub(entry, 1, 3) ~= 'E1\\n' then return {joined, false} end
local first = string.find(entry, '\\n', 4, true)
if not first or string.sub(entry, 4, first - 1) ~= joined then return {joined, false} end
local reply = {joined, entry}
local prefix = ARGV[1]
if prefix ~= '' then
  local second = string.find(entry, '\\n', first + 1, true)
  local keys = {}
  for id in string.gmatch(string.sub(entry, first + 1, second - 1), '%d+') do
    keys[#keys + 1] = prefix .. id
  end
  if #keys > 0 then
    -- One bulk string, not one reply element per product: the client parses 3 elements, not 2 + n.
    local values = redis.call('MGET', unpack(keys))
    for i = 1, #keys do values[i] = values[i] or '' end
    reply[3] = table.concat(values, ',')
  end
end
return reply
"""

# KEYS: generation keys. Sets each to max(old + 1, now in microseconds).
_BUMP = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for i = 1, #KEYS do
  local old = tonumber(redis.call('GET', KEYS[i]))
  local new = now
  if old and old >= now then new = old + 1 end
  redis.call('SET', KEYS[i], string.format('%.0f', new))
end
return #KEYS
"""

# KEYS: stock keys. ARGV: ttl, then per key the value seen by the reader ("" = none) and the new value.
# A key is set only if it still holds what the reader saw: a write committed meanwhile wins.
_REFILL = """
local ttl = tonumber(ARGV[1])
local set = 0
for i = 1, #KEYS do
  local seen = ARGV[2 * i]
  local current = redis.call('GET', KEYS[i])
  if (not current and seen == '') or current == seen then
    redis.call('SET', KEYS[i], ARGV[2 * i + 1], 'EX', ttl)
    set = set + 1
  end
end
return set
"""


@dataclass(frozen=True)
class Read:
    """What one read found: the current generations, the entry if it belongs to them, listed stock values."""

    generations: str | None  # None: the store could not tell (unreachable, or disabled)
    entry: bytes | None
    stocks: list[bytes | None]


class Backend(Protocol):
    kind: str

    def read(self, generation_keys: Sequence[str], entry_key: str, stock_prefix: str) -> Read: ...
    def get(self, key: str) -> bytes | None: ...
    def put(self, key: str, value: bytes, ttl: int) -> None: ...
    def bump(self, generation_keys: Sequence[str]) -> None: ...
    def mark_stale(self, keys: Sequence[str], ttl: int) -> None: ...
    def refill(self, keys: Sequence[str], seen: Sequence[bytes | None], values: Sequence[bytes], ttl: int) -> None: ...
    def add_many(self, items: dict[str, bytes], ttl: int) -> None: ...
    def ping(self) -> None: ...
    def max_memory(self) -> int | None: ...


def _tombstone() -> bytes:
    # Unique, so a reader that saw one tombstone can tell it from a later one.
    return b"~" + uuid.uuid4().hex.encode()


class RedisBackend:
    """Redis through redis-py, with the app's short socket timeouts (no retries: the breaker decides)."""

    kind = "redis"

    def __init__(self, url: str, **options: Any) -> None:
        self.client = redis.Redis.from_url(url, retry_on_timeout=False, **options)
        self._read = self.client.register_script(_READ)
        self._bump = self.client.register_script(_BUMP)
        self._refill = self.client.register_script(_REFILL)

    def read(self, generation_keys: Sequence[str], entry_key: str, stock_prefix: str) -> Read:
        reply = cast(list[Any], self._read(keys=[*generation_keys, entry_key], args=[stock_prefix]))
        generations = reply[0].decode()
        entry = reply[1] if len(reply) > 1 else None
        stocks: list[bytes | None] = [v or None for v in reply[2].split(b",")] if len(reply) > 2 else []
        return Read(generations, entry or None, stocks)

    def get(self, key: str) -> bytes | None:
        return cast(bytes | None, self.client.get(key))

    def put(self, key: str, value: bytes, ttl: int) -> None:
        self.client.set(key, value, ex=ttl)

    def bump(self, generation_keys: Sequence[str]) -> None:
        self._bump(keys=list(generation_keys))

    def mark_stale(self, keys: Sequence[str], ttl: int) -> None:
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.set(key, _tombstone(), ex=ttl)
        pipe.execute()

    def refill(self, keys: Sequence[str], seen: Sequence[bytes | None], values: Sequence[bytes], ttl: int) -> None:
        args: list[bytes | int] = [ttl]
        for before, value in zip(seen, values, strict=True):
            args += [before or b"", value]
        self._refill(keys=list(keys), args=args)

    def add_many(self, items: dict[str, bytes], ttl: int) -> None:
        pipe = self.client.pipeline(transaction=False)
        for key, value in items.items():
            pipe.set(key, value, ex=ttl, nx=True)
        pipe.execute()

    def ping(self) -> None:
        self.client.ping()

    def max_memory(self) -> int | None:
        """The server's maxmemory in bytes (0: no limit), or None when the server does not say."""
        info = cast(dict[str, Any], self.client.info("memory"))
        value = info.get("maxmemory")
        return int(value) if value is not None else None


class MemoryBackend:
    """The embedded default (no Redis): one process's dict, bounded in entries, with TTLs."""

    kind = "memory"

    def __init__(self, max_entries: int = 2000) -> None:
        self.max_entries = max_entries
        self._data: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()

    def _get(self, key: str) -> bytes | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[1] and item[1] < time.monotonic():
            del self._data[key]
            return None
        return item[0]

    def _set(self, key: str, value: bytes, ttl: int) -> None:
        self._data.pop(key, None)
        if len(self._data) >= self.max_entries:
            del self._data[next(iter(self._data))]  # the oldest write goes first
        self._data[key] = (value, time.monotonic() + ttl if ttl else 0.0)

    @staticmethod
    def _now() -> bytes:
        return str(time.time_ns() // 1000).encode()

    def read(self, generation_keys: Sequence[str], entry_key: str, stock_prefix: str) -> Read:
        with self._lock:
            generations = []
            for key in generation_keys:
                value = self._get(key)
                if value is None:
                    value = self._now()
                    self._set(key, value, 0)
                generations.append(value.decode())
            joined = ",".join(generations)
            entry = self._get(entry_key)
            if entry is None or not entry.startswith(MAGIC) or entry[3:].split(b"\n", 1)[0].decode() != joined:
                return Read(joined, None, [])
            stocks: list[bytes | None] = []
            if stock_prefix:
                ids = entry.split(b"\n", 3)[2]
                stocks = [self._get(stock_prefix + i) for i in ids.decode().split(",") if i]
            return Read(joined, entry, stocks)

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._get(key)

    def put(self, key: str, value: bytes, ttl: int) -> None:
        with self._lock:
            self._set(key, value, ttl)

    def bump(self, generation_keys: Sequence[str]) -> None:
        with self._lock:
            now = int(self._now())
            for key in generation_keys:
                old = self._get(key)
                new = max(int(old) + 1, now) if old is not None else now
                self._set(key, str(new).encode(), 0)

    def mark_stale(self, keys: Sequence[str], ttl: int) -> None:
        with self._lock:
            for key in keys:
                self._set(key, _tombstone(), ttl)

    def refill(self, keys: Sequence[str], seen: Sequence[bytes | None], values: Sequence[bytes], ttl: int) -> None:
        with self._lock:
            for key, before, value in zip(keys, seen, values, strict=True):
                if self._get(key) == before:
                    self._set(key, value, ttl)

    def add_many(self, items: dict[str, bytes], ttl: int) -> None:
        with self._lock:
            for key, value in items.items():
                if self._get(key) is None:
                    self._set(key, value, ttl)

    def ping(self) -> None:
        return None

    def max_memory(self) -> int | None:
        return self.max_entries


class NullBackend:
    """Caching off (CACHE_TYPE=NullCache): every read misses, nothing is kept."""

    kind = "null"

    def read(self, generation_keys: Sequence[str], entry_key: str, stock_prefix: str) -> Read:
        return Read(None, None, [])

    def get(self, key: str) -> bytes | None:
        return None

    def put(self, key: str, value: bytes, ttl: int) -> None:
        return None

    def bump(self, generation_keys: Sequence[str]) -> None:
        return None

    def mark_stale(self, keys: Sequence[str], ttl: int) -> None:
        return None

    def refill(self, keys: Sequence[str], seen: Sequence[bytes | None], values: Sequence[bytes], ttl: int) -> None:
        return None

    def add_many(self, items: dict[str, bytes], ttl: int) -> None:
        return None

    def ping(self) -> None:
        return None

    def max_memory(self) -> int | None:
        return None
