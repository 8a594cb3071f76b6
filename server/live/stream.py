"""One console's Server-Sent Events stream, shaped for gunicorn's gthread workers.

A stream holds one of its worker's threads for as long as it is open, so: a worker serves at most
``LIVE_STREAMS_PER_WORKER`` streams (further consoles get a 503 and poll ``/live/events``); a sync worker
(no threads: the stream would take the whole worker) serves none; a comment line every
``LIVE_HEARTBEAT_SECONDS`` finds a vanished browser and keeps proxies from timing the stream out; and the
server ends every stream after ``LIVE_STREAM_SECONDS``: the browser's EventSource reconnects by itself with
``Last-Event-ID`` and gets what it missed from the table (``since``), and a signed-out or deactivated officer
stops hearing anything by then at the latest. No database connection is held while a stream waits.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections.abc import Generator, Iterable, Iterator
from typing import Any

from flask import Flask

from ..errors import ApiError
from . import notifier
from .operations import latest_id, since

_lock = threading.Lock()
_open = 0


class StreamsBusy(ApiError):
    status = 503
    code = "stream_unavailable"
    message = "No live stream is free on this server now: poll /api/v1/officer/live/events instead."


def capacity(app: Flask, environ: dict[str, Any]) -> int:
    """How many streams this worker may hold."""
    if "gunicorn.socket" in environ and not environ.get("wsgi.multithread"):
        return 0  # a sync worker: one stream would block every other request it should serve
    setting = app.config.get("LIVE_STREAMS_PER_WORKER")
    if setting:
        return int(setting)
    # Half the worker's threads (server/ops/gunicorn_conf.py tells how many); the rest serve requests.
    return max(1, int(os.environ.get("BINHAN_WORKER_THREADS", "4")) // 2)


def open_stream(app: Flask, environ: dict[str, Any], commune_id: int, last_id: int) -> Iterable[str]:
    """Take a slot (or raise ``StreamsBusy``), read what the console missed, and return the event iterator."""
    global _open
    with _lock:
        if _open >= capacity(app, environ):
            error = StreamsBusy()
            error.headers["Retry-After"] = "30"
            raise error
        _open += 1
    try:
        box = notifier.subscribe(app, commune_id)  # before reading: nothing committed meanwhile is missed
        latest = latest_id()
        missed, gap = since(commune_id, last_id) if last_id else ([], False)
        # No connection is held while the stream waits: Flask ends the request's session (teardown) as soon as
        # the view returns, before the server starts reading the events.
    except BaseException:
        _release()
        raise
    return _Stream(commune_id, box, _events(app, box, last_id, latest, missed, gap or last_id > latest))


class _Stream:
    """The WSGI response iterable: ``close()`` frees the slot even when the browser left before the first byte
    (a generator that never started runs no ``finally``)."""

    def __init__(self, commune_id: int, box: queue.Queue[dict[str, Any]], events: Generator[str]) -> None:
        self._commune_id, self._box, self._events = commune_id, box, events
        self._closed = False

    def __iter__(self) -> Iterator[str]:
        return self._events

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._events.close()
        notifier.unsubscribe(self._commune_id, self._box)
        _release()


def _release() -> None:
    global _open
    with _lock:
        _open -= 1


def _frame(event_id: int, name: str, data: dict[str, Any]) -> str:
    return f"id: {event_id}\nevent: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _events(
    app: Flask,
    box: queue.Queue[dict[str, Any]],
    last_id: int,
    latest: int,
    missed: list[dict[str, Any]],
    reset: bool,
) -> Generator[str]:
    heartbeat = float(app.config["LIVE_HEARTBEAT_SECONDS"])
    ends_at = time.monotonic() + float(app.config["LIVE_STREAM_SECONDS"])
    sent: set[int] = set()
    yield f"retry: {int(app.config['LIVE_RETRY_MS'])}\n\n"
    if reset:  # events were purged (or the database went back): the console re-reads everything
        yield _frame(latest, "reset", {})
    elif not last_id:
        yield _frame(latest, "hello", {})
    for event in missed:
        sent.add(event["id"])
        yield _frame(event["id"], "change", event["payload"])
    while (left := ends_at - time.monotonic()) > 0:
        try:
            event = box.get(timeout=min(heartbeat, left))
        except queue.Empty:
            yield ": hb\n\n"
            continue
        if event.get("close"):
            return
        if event["id"] not in sent:
            sent.add(event["id"])
            yield _frame(event["id"], "change", event["payload"])
