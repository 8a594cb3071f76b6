"""``/healthz`` (the process answers), ``/readyz`` (it can serve: 503 otherwise) and ``/metrics`` (Prometheus).

Outside ``/api/``: these are for the load balancer and the monitoring, not for phones, and are not in the
OpenAPI spec. ``/metrics`` answers only with ``Authorization: Bearer $METRICS_TOKEN``; without a configured
token it does not exist (404). The reverse proxy should not route any of them from the internet
(docs/deploy.md): the scraper and the load balancer reach the app servers directly.
"""

from __future__ import annotations

import hmac
import os

from flask import Blueprint, Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from ..errors import NotFound, Unauthorized
from . import checks
from .queue import UnansweredReports

blp = Blueprint("ops", __name__)


@blp.get("/healthz")
def healthz() -> Response:
    """The process is up and answering; touches nothing else (a restart would not fix a dependency)."""
    return jsonify({"status": "ok"})


@blp.get("/readyz")
def readyz() -> Response:
    ready, report = checks.readiness()
    response = jsonify({"status": "ready" if ready else "not_ready", "checks": report})
    response.status_code = 200 if ready else 503
    return response


@blp.get("/metrics")
def metrics() -> Response:
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        raise NotFound()
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise Unauthorized("The metrics need the scraper's bearer token.")
    scraped = CollectorRegistry()
    scraped.register(UnansweredReports())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # every gunicorn worker's values, added up
        MultiProcessCollector(scraped)
        body = generate_latest(scraped)
    else:
        body = generate_latest(REGISTRY) + generate_latest(scraped)
    return Response(body, content_type=CONTENT_TYPE_LATEST)
