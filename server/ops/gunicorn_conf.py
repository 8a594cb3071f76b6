"""gunicorn settings for production and ``make run``: ``gunicorn -c server/ops/gunicorn_conf.py wsgi:app``.

Loaded by path (``-c``) in gunicorn's master before any worker starts; command-line options still win.

- Prometheus multiprocess mode: every worker writes its metric values under ``PROMETHEUS_MULTIPROC_DIR``
  (a fresh temporary directory when unset), emptied when the master starts, and a dead worker's gauges are
  dropped (``child_exit``). Set it before the workers import prometheus-client: here, in the master.
- Logs: gunicorn's own lines and the app's, one JSON object per line on stderr (server/logs.py). gunicorn's
  access log is off: its format carries the client's address and the raw path with its query string; the app
  writes the one line per request instead (server/ops/requests.py: route, status, duration, request id).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

_created_dir = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _created_dir = tempfile.mkdtemp(prefix="binhan-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _created_dir

accesslog = None
# gunicorn 27's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl): several instances on
# one machine would fight over it, and nothing here uses it.
control_socket_disable = True
loglevel = os.environ.get("LOG_LEVEL", "info")

logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "server.logs.JsonFormatter"}},
    "handlers": {
        "json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        "discard": {"class": "logging.NullHandler"},
    },
    "root": {"level": "INFO", "handlers": ["json"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["discard"], "propagate": False},
    },
}


def on_starting(server: Any) -> None:
    """Values left by an earlier run in the directory would be added to this run's."""
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker: Any) -> None:
    """Live console streams (server/live/stream.py): how many threads this worker has (it may hold half as many
    streams), and end them at once when the worker is told to stop (SIGTERM), rather than at their next
    heartbeat: a graceful restart would otherwise wait for every open console."""
    import signal

    from server.live import notifier

    os.environ["BINHAN_WORKER_THREADS"] = str(worker.cfg.threads)
    previous = signal.getsignal(signal.SIGTERM)

    def stopping(signum: int, frame: Any) -> None:
        notifier.close_all()
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, stopping)


def on_exit(server: Any) -> None:
    if _created_dir:
        shutil.rmtree(_created_dir, ignore_errors=True)
