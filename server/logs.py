"""Logs as one JSON object per line, for the app and for gunicorn (server/ops/gunicorn_conf.py uses this formatter).

Each line has ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, and, inside a request, its
``request_id`` and ``route`` (the URL rule, never the raw path). The one line per request that
server/ops/requests.py writes adds ``method``, ``status``, ``duration_ms`` and, for officer calls,
``officer_id``. What must never be logged: tip or message text, tokens, passwords, codes, names, device ids
and client addresses (the anonymity of tipsters depends on it; tests/security/test_log_markers.py checks a
whole scenario's output). Log calls pass ids and counts, never request content.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# What the current request is (set by the request middleware for the thread serving it).
request_context: ContextVar[dict[str, Any] | None] = ContextVar("binhan_request", default=None)

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id"?, "route"?, ...extra}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = request_context.get()
        if current:
            entry.update({k: v for k, v in current.items() if v is not None})
        for key, value in vars(record).items():  # ``extra={...}`` of the call
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: int = logging.INFO) -> None:
    """JSON lines on stderr for the root logger, unless something (gunicorn's logconfig_dict) configured it."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
