"""Every request, measured and logged once: its latency and status by route, its request id, one JSON log line.

A WSGI middleware around the whole app (body middlewares included, so a body refused before Flask is still
counted) and two Flask hooks that tell it what Flask learnt: the route's URL rule (never the raw path, whose
ids and query strings are unbounded and may hold what a client typed) and, for officer calls, the officer's
id. No client address, token, device or name is logged or labelled.

The request id is the proxy's ``X-Request-ID`` (nginx: ``proxy_set_header X-Request-ID $request_id``) when it
looks like one, else a new one; it is sent back in the answer's ``X-Request-ID`` and is on every log line the
request causes.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask, Response, g, request
from sqlalchemy import inspect

from .. import metrics
from ..logs import request_context

log = logging.getLogger("server.request")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
QUIET_ROUTES = {"/healthz", "/readyz", "/metrics"}  # probes every few seconds: DEBUG, not INFO
UPLOAD_ENDPOINT = "attachments.upload_chunk"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class RequestObserver:
    """The outermost WSGI layer: request id, timing, the request's log line and metrics."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        given = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        info: dict[str, Any] = {"request_id": request_id, "route": None}
        environ["binhan.request"] = info
        request_context.set(info)
        status = [500]

        def observed_start(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = int(status_line.split(" ", 1)[0])
            return start_response(status_line, [*headers, ("X-Request-ID", request_id)], exc_info)

        def finish() -> None:
            _finish(environ.get("REQUEST_METHOD", "GET"), info, status[0], time.perf_counter() - started)

        try:
            body = self.app(environ, observed_start)
        except BaseException:
            finish()
            raise
        wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(wrapper, type) and isinstance(body, wrapper):  # keep gunicorn's sendfile for downloads
            finish()
            return body
        return _Closing(body, finish)


class _Closing:
    """The answer's body, unchanged; ``close`` (after the last byte was sent) finishes the request's record."""

    def __init__(self, body: Iterable[bytes], on_close: Callable[[], None]) -> None:
        self.body = body
        self.on_close = on_close

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.on_close()


def _finish(method: str, info: dict[str, Any], status: int, seconds: float) -> None:
    route = info.get("route")
    metrics.observe_request(route, method, status, seconds)
    level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
    log.log(level, "request", extra={"method": method, "status": status, "duration_ms": round(seconds * 1000, 1)})
    request_context.set(None)


def _note_route(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Runs before any ``before_request`` hook, for every request a route matched."""
    info = request.environ.get("binhan.request")
    if info is not None and request.url_rule is not None:
        info["route"] = request.url_rule.rule


def _note_outcome(response: Response) -> Response:
    info = request.environ.get("binhan.request")
    officer = g.get("officer")
    if info is not None and officer is not None:
        identity = inspect(officer).identity  # from the identity map: no query, even after a commit
        info["officer_id"] = identity[0] if identity else None
    if request.endpoint == UPLOAD_ENDPOINT and response.status_code < 300:
        metrics.count_upload(request.content_length or 0)
    return response


def init_app(app: Flask) -> None:
    app.url_value_preprocessor(_note_route)
    app.after_request(_note_outcome)
