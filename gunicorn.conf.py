"""Gunicorn settings for serving the API in production (`make serve`).

Tunable from the environment: BIND, WEB_CONCURRENCY, GUNICORN_WORKER_CLASS, GUNICORN_THREADS.
"""

from __future__ import annotations

import glob
import os
import tempfile
from typing import Any

from gunicorn.glogging import Logger

from app.utils.request_target import printable_target

# Set before gunicorn imports wsgi:app, so the app loads its production config.
os.environ.setdefault("APP_ENV", "production")
# The access log below is the one line per request; the app's own would repeat it.
os.environ.setdefault("LOG_REQUESTS", "false")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# 2 x cores + 1 is gunicorn's rule of thumb; the cap keeps big hosts from opening more
# database connections than PostgreSQL's default max_connections allows.
_default_workers = min(2 * (os.cpu_count() or 1) + 1, 12)

wsgi_app = "wsgi:app"
bind = os.environ.get("BIND", "127.0.0.1:5001")
workers = _env_int("WEB_CONCURRENCY", _default_workers)
# Measured with make bench's scenarios on 2 cores (5 s runs): sync x5 served the cached list at 1,511 req/s
# (p99 19 ms); gthread 2x8 at 610 req/s (p99 41 ms); gthread 5x4 at 1,511 req/s but p99 86 ms; checkouts were
# equal (~90/s, database-bound) with 0 errors on sync and 5-9 on gthread. The work is CPU-bound, so sync it is.
# Where PostgreSQL runs on the same cores, fewer workers switch less: on 2 cores shared with PostgreSQL and the
# load generator, 3 sync workers served 8% more checkouts and 6% more uncached pages than 5, and make bench runs
# cores + 1. With the database on its own host, requests wait on the network and 2 x cores + 1 keeps cores busy.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = _env_int("GUNICORN_THREADS", 1)

timeout = 30
graceful_timeout = 30
keepalive = 5

# gunicorn answers a request it will not pass on with its own HTML page (400 malformed, 414 request line,
# 431 header field); the app's answers are problem documents. These limits let through everything a
# legitimate client sends: a request line up to gunicorn's maximum (8190 bytes; the longest query the API
# reads is far shorter) and header fields up to 16 KiB (a Bearer token of several KiB, cookies of a front
# end on the same domain). A reverse proxy in front should refuse less than this, so that it, not
# gunicorn, answers: see the README (Scaling out).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 16384


class AccessLogger(Logger):
    """gunicorn's logger with one more access-log atom, %(target)s: the raw request target, escaped.

    %(U)s is the URL-decoded path: "%0a" in it would end the line and let the rest forge another.
    """

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        atoms["target"] = printable_target(environ.get("RAW_URI") or environ.get("PATH_INFO") or "")
        return atoms


logger_class = AccessLogger
accesslog = "-"
errorlog = "-"
access_log_format = (
    "request_id=%({x-request-id}o)s method=%(m)s target=%(target)s status=%(s)s size=%(B)s duration_ms=%(M)s"
    " remote=%(h)s"
)


# Metrics (METRICS_ENABLED): prometheus-client's multiprocess mode, one directory of value files shared by
# the workers, set before any worker imports the app, its value files removed at every start.
if os.environ.get("METRICS_ENABLED", "").strip().lower() in {"1", "true", "yes", "on"}:
    _metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="ecommerce-metrics-"))
    os.makedirs(_metrics_dir, exist_ok=True)
    for _stale in glob.glob(os.path.join(_metrics_dir, "*.db")):  # an earlier run's values
        os.remove(_stale)


def child_exit(_server: object, worker: object) -> None:
    """A dead worker's live gauges leave the sums (counters and histograms are kept)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
