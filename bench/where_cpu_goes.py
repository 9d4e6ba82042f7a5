"""Where a request's time in the app goes, from py-spy's raw (collapsed) stacks: one markdown table.

    python bench/where_cpu_goes.py NAME[@US]=FILE [NAME[@US]=FILE ...]

With @US (the request's measured CPU in microseconds, e.g. from bench/profile_costs.py) the table shows
microseconds, else shares. Each FILE is the output of `py-spy record --format raw` (bench/run.py writes them with
BENCH_PROFILE=1, one per gunicorn worker; several files of one NAME are added up). Every sample goes to the first
category below that any of its frames matches, so a statement run inside an after-commit action counts as the
action. py-spy (without --idle) drops most samples of a thread that waits in a system call, but not all: a category
that waits on PostgreSQL or Redis (statements, COMMIT) shows somewhat more than its CPU. Compare shares between
runs; scaled by @US they are an estimate in microseconds.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

CATEGORIES = [  # (name, pattern searched in the stack, its frames joined by ";"), first match wins
    ("start-up (not a request)", r"create_app|_find_and_load|_backend_pids|Passwords\.__init__"),
    ("token check (RS256 signature, Redis blocklist)", r"verify_access_token|token_revoked|Blocklist\.|verify_jwt"),
    ("after-commit cache writes (Redis)", r"UnitOfWork\.commit .*<lambda> \(app/services/"),
    ("COMMIT", r"Session\.commit"),
    ("connection: checkout, pre-ping, return", r"_connection_for_bind|RequestContext\.pop|_ConnectionFairy|_do_ping"),
    ("statements: execute and read rows (SQLAlchemy, psycopg2)", r"Session\.(execute|scalars?|get) \(|Result\."),
    ("statements: building them", r"ProductRepo\._(filtered|order|in_name|relevance)|_generative|scalar_subquery"),
    ("cache reads (Redis)", r"RedisBackend\.read|cached_count"),
    ("request parsing (webargs, marshmallow)", r"Parser\.parse|Schema\.load|get_json"),
    ("the answer: objects, dump, JSON", r"plain_dump|Schema\.dump|_dumps|_new_sale|_issue_invoice|CatalogProduct"),
    ("other app code", r"\(app/(services|repos|cache|utils)/"),
]
REST = "framework: Flask, flask-smorest, werkzeug, our decorators"


def shares(paths: list[Path]) -> dict[str, float]:
    """Each category's share (0-1) of the request samples in these files."""
    counts: Counter[str] = Counter()
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, n = line.rpartition(" ")
            category = next((name for name, pattern in CATEGORIES if re.search(pattern, stack)), REST)
            counts[category] += int(n)
    counts.pop(CATEGORIES[0][0], None)
    total = sum(counts.values()) or 1
    return {name: counts[name] / total for name in [*(c for c, _ in CATEGORIES[1:]), REST]}


def table(runs: dict[str, list[Path]]) -> str:
    measured = {name: shares(paths) for name, paths in runs.items()}

    def cell(name: str, share: float) -> str:
        _, _, us = name.partition("@")
        return f"{share * float(us):,.0f} us" if us else f"{share:.0%}"

    lines = ["| where | " + " | ".join(name.replace("@", ", us: ") for name in measured) + " |"]
    lines.append("|---|" + "---|" * len(measured))
    for category in next(iter(measured.values())):
        if any(share[category] >= 0.005 for share in measured.values()):
            cells = " | ".join(cell(name, share[category]) for name, share in measured.items())
            lines.append(f"| {category} | {cells} |")
    return "\n".join(lines)


if __name__ == "__main__":
    runs: dict[str, list[Path]] = {}
    for argument in sys.argv[1:]:
        name, _, path = argument.partition("=")
        runs.setdefault(name, []).append(Path(path))
    print(table(runs))
