"""Prometheus metrics every feature may count into; scraped at ``/metrics`` (server/ops, docs/deploy.md).

Under gunicorn each worker is its own process: prometheus-client's multiprocess mode keeps every worker's
values in files under ``PROMETHEUS_MULTIPROC_DIR`` (set by server/ops/gunicorn_conf.py before any worker
imports this module) and the scrape adds them up. Without that variable (tests, ``flask`` commands) the values
live in this process.

Labels are closed sets chosen by the server (a route's URL rule, a method, a status, an item type and result),
never a value a request carries: no text, token, name, device, address or raw path can become a label.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from prometheus_client import Counter, Histogram

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # a `flask` command run with the service's environment
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

SYNCS = Counter("binhan_syncs", "Sync round trips answered 200 (committed)")
SYNC_ITEMS = Counter("binhan_sync_items", "Pushed items by type and result", ["type", "result"])
REQUESTS = Counter(
    "binhan_http_requests", "HTTP requests by route (URL rule), method and status", ["route", "method", "status"]
)
REQUEST_SECONDS = Histogram(
    "binhan_http_request_duration_seconds",
    "Time from the request's arrival to the end of its answer, by route (URL rule) and method",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
UPLOAD_BYTES = Counter("binhan_upload_bytes", "Bytes of photo chunks accepted from phones")
RATE_LIMITED = Counter("binhan_rate_limited", "Requests refused by a rate limit (429), by route", ["route"])

ITEM_TYPES = frozenset({"report", "message", "receipt"})
ITEM_RESULTS = frozenset({"created", "duplicate", "rejected"})
UNMATCHED = "<unmatched>"  # a path no route matched: never the raw path (it may hold anything a client sent)


def count_sync(pushed: Sequence[Any], results: Iterable[dict[str, Any]]) -> None:
    """One committed sync and its items' results (results are in push order, one per pushed item)."""
    SYNCS.inc()
    for raw, result in zip(pushed, results, strict=False):
        kind = raw.get("type") if isinstance(raw, dict) else None
        SYNC_ITEMS.labels(
            kind if kind in ITEM_TYPES else "unknown",
            result.get("status") if result.get("status") in ITEM_RESULTS else "unknown",
        ).inc()


def observe_request(route: str | None, method: str, status: int, seconds: float) -> None:
    route = route or UNMATCHED
    method = method if method in {"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"} else "OTHER"
    REQUESTS.labels(route, method, str(status)).inc()
    REQUEST_SECONDS.labels(route, method).observe(seconds)
    if status == 429:
        RATE_LIMITED.labels(route).inc()


def count_upload(size: int) -> None:
    UPLOAD_BYTES.inc(size)
