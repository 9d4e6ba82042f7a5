"""Request targets made safe for one log line (the app's request log and gunicorn's access log)."""

from __future__ import annotations


def printable_target(raw: str) -> str:
    """A request target as sent (path and query, still percent-encoded), fit for one log line.

    Printable ASCII stays; anything else (CR, LF, space, quotes, bytes past 0x7e) is %-escaped, so no
    request can write a log line of its own, as a URL-decoded path with "%0a" in it would. WSGI hands
    the target over as bytes decoded as latin-1, so those are escaped byte for byte.
    """
    return "".join(ch if "!" <= ch <= "~" and ch not in '"\\' else _escaped(ch) for ch in raw)


def _escaped(ch: str) -> str:
    data = ch.encode("latin-1") if ord(ch) < 256 else ch.encode("utf-8", "replace")
    return "".join(f"%{byte:02X}" for byte in data)
