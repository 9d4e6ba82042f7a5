"""Read and replay a .http file the way VS Code's REST Client (humao.rest-client) does.

The rules, as REST Client implements them:
- requests are separated by lines starting with `###`;
- comment lines (`#` or `//`) are dropped from a request before anything else, and `# @name x` names it;
- the request starts at its first line that is neither empty nor a file variable (`@name = value`) and
  ends at its last non-empty line: so a `@var = ...` line *after* a request is part of that request;
- request line, then headers up to the first empty line, then the body;
- file variables (`@name = value`, anywhere in the file; the first definition wins) may use other
  variables, and are resolved when a request is sent;
- `{{name.response.body.$.a.b[0]}}` (JSONPath), `{{name.response.headers.ETag}}` and
  `{{name.request.headers.X}}` read an earlier named request; `{{$guid}}`, `{{$timestamp}}`,
  `{{$randomInt a b}}`, `{{$datetime "YYYY-MM-DD" -30 d}}`, `{{$dotenv NAME}}` and `{{$processEnv NAME}}`
  are system variables.

Our own convention on top: a `# expect 409` (or `# expect 409 duplicate_sku`, with the problem's `code`)
comment in a request says which error it shows on purpose; every other request must answer 2xx or 304.

`python -m tests.rest_client [api.http] [--env .env]` replays a file against the server it names and
prints one line per request (the exit status is 1 when a status is not the expected one).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DELIMITER = re.compile(r"^#{3,}")
COMMENT = re.compile(r"^\s*(#|//)")
FILE_VARIABLE = re.compile(r"^\s*@([^\s=]+)\s*=\s*(.*?)\s*$")
REQUEST_NAME = re.compile(r"^\s*(?:#+|/{2,})\s+@name\s+(\w+)\s*$", re.MULTILINE)
EXPECT = re.compile(r"^\s*(?:#+|/{2,})\s*expect\s+(\d{3})\b(?:\s+([a-z][a-z0-9_]*))?", re.MULTILINE)
REFERENCE = re.compile(r"\{\{(.+?)\}\}")
REQUEST_VARIABLE = re.compile(r"^(\w+)\.(request|response)\.(body|headers)\.(.+)$")
METHOD = re.compile(r"^(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|CONNECT|TRACE)\s+", re.IGNORECASE)


class UnresolvedVariable(LookupError):
    pass


@dataclass
class Request:
    title: str
    line: int
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: str | None
    name: str | None = None
    expect: int | None = None
    expect_code: str | None = None


@dataclass
class Exchange:
    """A request as sent (variables resolved) and its response."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int
    headers: dict[str, str]
    body: str

    def header(self, name: str, *, request: bool = False) -> str | None:
        headers = self.request_headers if request else self.headers
        return next((value for key, value in headers.items() if key.lower() == name.lower()), None)


@dataclass
class HttpFile:
    variables: dict[str, str]
    requests: list[Request]


def parse(text: str) -> HttpFile:
    lines = re.split(r"\r?\n", text)
    variables: dict[str, str] = {}
    for line in lines:
        match = FILE_VARIABLE.match(line)
        if match:
            variables.setdefault(match.group(1), _unescape(match.group(2)))

    requests = []
    starts = [-1] + [i for i, line in enumerate(lines) if DELIMITER.match(line)] + [len(lines)]
    for start, end in zip(starts, starts[1:], strict=False):
        block = lines[start + 1 : end]
        title = lines[start].lstrip("#").strip() if start >= 0 else ""
        request = _parse_block(block, title, start + 2)
        if request is not None:
            requests.append(request)
    return HttpFile(variables, requests)


def _unescape(value: str) -> str:
    escapes = {"n": "\n", "r": "\r", "t": "\t"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), value)


def _parse_block(block: list[str], title: str, first_line: int) -> Request | None:
    text = "\n".join(block)
    numbered = [(first_line + i, line) for i, line in enumerate(block) if not COMMENT.match(line)]
    start, end = 0, len(numbered) - 1
    while start <= end and (not numbered[start][1].strip() or FILE_VARIABLE.match(numbered[start][1])):
        start += 1
    while end >= start and not numbered[end][1].strip():
        end -= 1
    if start > end:
        return None
    lines = [line for _, line in numbered[start : end + 1]]

    request_line = lines.pop(0).strip()
    while lines and re.match(r"^\s*[&?]", lines[0]):  # query string continued on the next lines
        request_line += lines.pop(0).strip()
    method_match = METHOD.match(request_line)
    method = method_match.group(1).upper() if method_match else "GET"
    url = request_line[method_match.end() :] if method_match else request_line
    url = re.sub(r"\s+HTTP/.*$", "", url.strip(), flags=re.IGNORECASE)

    headers = []
    while lines and lines[0].strip():
        name, _, value = lines.pop(0).strip().partition(":")
        headers.append((name.strip(), value.strip()))
    body = "\n".join(lines[1:]) if lines else None

    name_match = REQUEST_NAME.search(text)
    expect_match = EXPECT.search(text)
    return Request(
        title=title,
        line=numbered[start][0],
        method=method,
        url=url,
        headers=headers,
        body=body or None,
        name=name_match.group(1) if name_match else None,
        expect=int(expect_match.group(1)) if expect_match else None,
        expect_code=expect_match.group(2) if expect_match else None,
    )


# ------------------------------------------------------------------------------ variables


@dataclass
class Resolver:
    variables: Mapping[str, str]
    dotenv: Mapping[str, str]
    exchanges: dict[str, Exchange] = field(default_factory=dict)

    def resolve(self, text: str, depth: int = 0) -> str:
        if depth > 10:
            raise UnresolvedVariable(f"variables nest too deeply in {text!r}")
        return REFERENCE.sub(lambda m: self._value(m.group(1).strip(), depth), text)

    def _value(self, name: str, depth: int) -> str:
        if name.startswith("$"):
            return system_variable(name, self.dotenv)
        match = REQUEST_VARIABLE.match(name)
        if match and match.group(1) in self.exchanges:
            return request_variable(self.exchanges[match.group(1)], *match.group(2, 3, 4))
        if match:
            raise UnresolvedVariable(f"{{{{{name}}}}}: request {match.group(1)!r} has not been sent yet")
        if name in self.variables:
            return self.resolve(self.variables[name], depth + 1)
        raise UnresolvedVariable(f"{{{{{name}}}}} is not defined")


def system_variable(name: str, dotenv: Mapping[str, str]) -> str:
    kind, *args = name.split(maxsplit=1)
    argument = args[0] if args else ""
    if kind == "$guid":
        return str(uuid.uuid4())
    if kind == "$timestamp":
        return str(int(_shifted(datetime.now(UTC), argument).timestamp()))
    if kind == "$randomInt":
        low, high = (int(n) for n in argument.split()[:2])
        return str(random.randrange(low, high))
    if kind in {"$datetime", "$localDatetime"}:
        return _datetime(argument)
    if kind in {"$dotenv", "$processEnv"}:
        source = dotenv if kind == "$dotenv" else os.environ
        if argument not in source:
            raise UnresolvedVariable(f"{{{{{name}}}}}: {argument} is not set")
        return source[argument]
    raise UnresolvedVariable(f"{{{{{name}}}}}: unknown system variable")


_UNITS = {"y": 365.0, "M": 30.0, "w": 7.0, "d": 1.0, "h": 1 / 24, "m": 1 / 1440, "s": 1 / 86400, "ms": 1 / 86400000}


def _shifted(moment: datetime, offset: str) -> datetime:
    parts = offset.split()
    if len(parts) >= 2:
        moment += timedelta(days=int(parts[0]) * _UNITS[parts[1]])
    return moment


def _datetime(argument: str) -> str:
    match = re.match(r"""^(?:"([^"]*)"|'([^']*)'|(\S+))\s*(.*)$""", argument)
    if not match:
        raise UnresolvedVariable(f"$datetime needs a format, not {argument!r}")
    form = next(g for g in match.group(1, 2, 3) if g is not None)
    moment = _shifted(datetime.now(UTC), match.group(4))
    if form == "iso8601":
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if form == "rfc1123":
        return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")
    tokens = {"YYYY": "%Y", "MM": "%m", "DD": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}
    return moment.strftime(re.sub("|".join(tokens), lambda m: tokens[m.group(0)], form))


def request_variable(exchange: Exchange, entity: str, part: str, path: str) -> str:
    if part == "headers":
        value = exchange.header(path, request=entity == "request")
        if value is None:
            raise UnresolvedVariable(f"no {path} header in that {entity}")
        return value
    body = exchange.request_body if entity == "request" else exchange.body
    if path == "*":
        return body or ""
    found = json_path(json.loads(body or "null"), path)
    return found if isinstance(found, str) else json.dumps(found, separators=(",", ":"))


def json_path(document: Any, path: str) -> Any:
    """The first value at a simple JSONPath: `$`, `.key`, `['key']` and `[index]` steps."""
    if not path.startswith("$"):
        raise UnresolvedVariable(f"{path!r} is not a JSONPath (it starts with $)")
    value = document
    for key, quoted, index in re.findall(r"\.([^.\[\]]+)|\[['\"]([^'\"]+)['\"]\]|\[(\d+)\]", path[1:]):
        try:
            value = value[int(index)] if index else value[key or quoted]
        except (KeyError, IndexError, TypeError) as exc:
            raise UnresolvedVariable(f"{path} matches nothing in the response") from exc
    return value


# ------------------------------------------------------------------------------ replay

Send = Callable[[str, str, dict[str, str], str | None], tuple[int, dict[str, str], str]]


@dataclass
class Outcome:
    request: Request
    exchange: Exchange

    @property
    def code(self) -> str | None:
        """The problem document's `code`, for an error response."""
        try:
            body = json.loads(self.exchange.body)
        except ValueError:
            return None
        return body.get("code") if isinstance(body, dict) else None

    @property
    def as_expected(self) -> bool:
        if self.request.expect is not None:
            code_matches = self.request.expect_code is None or self.code == self.request.expect_code
            return self.exchange.status == self.request.expect and code_matches
        return 200 <= self.exchange.status < 300 or self.exchange.status == 304

    def describe(self) -> str:
        wanted = " ".join(str(part) for part in (self.request.expect, self.request.expect_code) if part) or "2xx/304"
        got = " ".join(
            str(part) for part in (self.exchange.status, self.code if self.exchange.status >= 400 else None) if part
        )
        mark = "ok  " if self.as_expected else "FAIL"
        return f"{mark} {got} (want {wanted}) line {self.request.line}: {self.request.title}"


def replay(http_file: HttpFile, send: Send, dotenv: Mapping[str, str]) -> list[Outcome]:
    """Send every request in file order, chaining named responses; stops at the first unresolved variable."""
    resolver = Resolver(http_file.variables, dotenv)
    outcomes = []
    for request in http_file.requests:
        url = resolver.resolve(request.url)
        headers = {name: resolver.resolve(value) for name, value in request.headers}
        body = resolver.resolve(request.body) if request.body is not None else None
        status, response_headers, response_body = send(request.method, url, headers, body)
        exchange = Exchange(request.method, url, headers, body, status, response_headers, response_body)
        if request.name:
            resolver.exchanges[request.name] = exchange
        outcomes.append(Outcome(request, exchange))
    return outcomes


def read_dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$", line)
            if match and not line.lstrip().startswith("#"):
                values.setdefault(match.group(1), match.group(2).strip("\"'"))
    return values


def send_over_http(method: str, url: str, headers: dict[str, str], body: str | None) -> tuple[int, dict[str, str], str]:
    data = body.encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Replay a .http file like VS Code's REST Client.")
    parser.add_argument("file", nargs="?", default="api.http")
    parser.add_argument("--env", default=None, help="the .env file for {{$dotenv}} (default: beside the file)")
    args = parser.parse_args(argv)
    path = Path(args.file)
    dotenv = read_dotenv(Path(args.env) if args.env else path.parent / ".env")
    started = time.monotonic()
    outcomes = replay(parse(path.read_text()), send_over_http, dotenv)
    for outcome in outcomes:
        print(outcome.describe())
    failed = [o for o in outcomes if not o.as_expected]
    print(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed in {time.monotonic() - started:.1f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
