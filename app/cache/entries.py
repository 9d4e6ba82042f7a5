"""The bytes of a cache entry, and the live-stock template of catalog entries.

An entry is `E1\\n<generations>\\n<product ids>\\n<etag>\\n<body>`: the generations it was made under,
the products whose stock it shows, the ETag of the stock-independent body, and the JSON body with one
NUL byte at each `in_stock` and `stock` value (JSON text never holds a raw NUL: json.dumps escapes it).
Reading it back is splitting on bytes; nothing is unpickled or evaluated.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.cache.backend import MAGIC

SLOT = b"\x00"
PLACEHOLDER = "\x00"  # what a template's in_stock/stock values hold before dumping
_SLOT_VALUE = re.compile(rb'"(in_stock|stock)":\s*"\\u0000"')


@dataclass(frozen=True)
class Entry:
    ids: list[int]
    etag: str
    template: bytes  # the body; with len(ids) * 2 slots when it shows stock


def encode(generations: str, entry: Entry) -> bytes:
    ids = ",".join(map(str, entry.ids))
    return b"%s%s\n%s\n%s\n%s" % (MAGIC, generations.encode(), ids.encode(), entry.etag.encode(), entry.template)


def decode(raw: bytes) -> Entry | None:
    """The entry in `raw`, or None when it is not one of ours (an old pickle, a truncated value)."""
    if not raw.startswith(MAGIC):
        return None
    parts = raw.split(b"\n", 4)
    if len(parts) != 5:
        return None
    try:
        ids = [int(i) for i in parts[2].split(b",")] if parts[2] else []
        etag = parts[3].decode("ascii")
    except ValueError:
        return None
    if ids and parts[4].count(SLOT) != 2 * len(ids):
        return None
    return Entry(ids, etag, parts[4])


def etag_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def template_of(dumped: bytes, ids: Sequence[int]) -> bytes | None:
    """`dumped` (products' in_stock and stock set to PLACEHOLDER, keys sorted) with a slot at each;
    None when the slots are not exactly (in_stock, stock) per product in order."""
    kinds = _SLOT_VALUE.findall(dumped)
    if kinds != [b"in_stock", b"stock"] * len(ids):
        return None
    return _SLOT_VALUE.sub(lambda m: b'"' + m.group(1) + b'":' + SLOT, dumped)


def fill(entry: Entry, stocks: Sequence[int]) -> tuple[bytes, str]:
    """The body with these stock values, and its ETag (the base ETag plus a digest of the values)."""
    if not entry.ids:
        return entry.template, entry.etag
    segments = entry.template.split(SLOT)
    values = [str(s).encode() for s in stocks]
    out = [segments[0]]
    for i, value in enumerate(values):
        out += (b"true" if stocks[i] > 0 else b"false", segments[2 * i + 1], value, segments[2 * i + 2])
    digest = hashlib.blake2b(b",".join(values), digest_size=6).hexdigest()
    return b"".join(out), f"{entry.etag[:20]}-{digest}"
