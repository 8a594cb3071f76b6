"""Every worker's open streams hear every commit's events: Redis pub/sub across workers and app servers, or,
without Redis (the embedded SQLite set-up), a poll of the ``live_event`` table, plus a direct hand-over to the
streams of the worker that committed.

One listener thread per process, started with the first stream; each stream has its own queue
(``subscribe``). Events are small dicts ``{"id", "commune_id", "payload"}``; a stream keeps only its commune's.
The same event may come twice (from the direct hand-over and from Redis or the poll): each stream drops what it
already sent (server/live/stream.py).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from typing import Any

from flask import Flask, current_app, has_app_context

log = logging.getLogger(__name__)

CHANNEL = "binhan:live"  # the default of LIVE_CHANNEL: deployments (or test runs) sharing one Redis set their own
_lock = threading.Lock()
_subscribers: dict[int, set[queue.Queue[dict[str, Any]]]] = {}  # commune id -> its streams' queues
_listeners: dict[int, threading.Thread] = {}  # one per app (a process serves one; the test session two)
_stop = threading.Event()


def publish(event: dict[str, Any]) -> None:
    """After a commit: hand the event to this worker's streams, and to the others through Redis (if any)."""
    _dispatch(event)
    url = current_app.config.get("REDIS_URL") if has_app_context() else None
    if url:
        try:
            _redis(url).publish(current_app.config.get("LIVE_CHANNEL") or CHANNEL, json.dumps(event))
        except Exception:  # the event stays in the table: other workers' consoles replay or poll it
            log.warning("live: could not publish to Redis")


_clients: dict[str, Any] = {}


def _redis(url: str) -> Any:
    client = _clients.get(url)
    if client is None:
        import redis

        client = _clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return client


def _dispatch(event: dict[str, Any]) -> None:
    with _lock:
        targets = list(_subscribers.get(event["commune_id"], ()))
    for target in targets:
        target.put(event)


def subscribe(app: Flask, commune_id: int) -> queue.Queue[dict[str, Any]]:
    """A queue that receives the commune's events from now on (``unsubscribe`` it when the stream ends)."""
    box: queue.Queue[dict[str, Any]] = queue.Queue()
    with _lock:
        _subscribers.setdefault(commune_id, set()).add(box)
    _ensure_listener(app)
    return box


def unsubscribe(commune_id: int, box: queue.Queue[dict[str, Any]]) -> None:
    with _lock:
        boxes = _subscribers.get(commune_id)
        if boxes is not None:
            boxes.discard(box)
            if not boxes:
                del _subscribers[commune_id]


def close_all() -> None:
    """The worker is stopping (SIGTERM: a restart, a reload): every stream ends now instead of at its next
    heartbeat, so the graceful stop does not wait for them and the browsers reconnect to a new worker."""
    with _lock:
        boxes = [box for boxes in _subscribers.values() for box in boxes]
    for box in boxes:
        box.put({"id": -1, "close": True})


def open_streams() -> int:
    with _lock:
        return sum(len(boxes) for boxes in _subscribers.values())


def _ensure_listener(app: Flask) -> None:
    with _lock:
        listener = _listeners.get(id(app))
        if listener is not None and listener.is_alive():
            return
        target = _listen_redis if app.config.get("REDIS_URL") else _poll_database
        _listeners[id(app)] = threading.Thread(target=target, args=(app,), name="binhan-live", daemon=True)
        _listeners[id(app)].start()


def stop_listeners() -> None:
    """End every listener thread (tests switch between Redis and the table)."""
    _stop.set()
    for listener in list(_listeners.values()):
        listener.join(5)
    _listeners.clear()
    _stop.clear()


def _listen_redis(app: Flask) -> None:
    while not _stop.is_set():
        try:
            pubsub = _redis(app.config["REDIS_URL"]).pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(app.config.get("LIVE_CHANNEL") or CHANNEL)
            while not _stop.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message and message.get("type") == "message":
                    _dispatch(json.loads(message["data"]))
        except Exception:
            log.warning("live: Redis subscription lost; retrying")
            time.sleep(1)


def _poll_database(app: Flask) -> None:
    """Without Redis: read new events every LIVE_POLL_SECONDS while streams are open (ids are handed out in
    commit order on SQLite, which serialises writers; the last ids seen are re-read on PostgreSQL, where a
    lower id may commit later)."""
    from sqlalchemy import select

    from ..database import reading
    from ..extensions import db
    from .models import LiveEvent

    interval = float(app.config.get("LIVE_POLL_SECONDS", 0.5))
    last = -1
    recent: set[int] = set()  # ids of the window already handed out
    while not _stop.is_set():
        if not open_streams():
            time.sleep(interval)
            last = -1  # nothing was listening meanwhile: start from the top again
            continue
        try:
            with app.app_context(), reading(db.engine) as connection:
                top = connection.scalar(select(LiveEvent.id).order_by(LiveEvent.id.desc()).limit(1)) or 0
                if last < 0 or top < last:  # first round, or the database went back (a restore)
                    last, recent = top, set()
                rows = connection.execute(
                    select(LiveEvent.id, LiveEvent.commune_id, LiveEvent.payload)
                    .where(LiveEvent.id > max(0, last - 32))
                    .order_by(LiveEvent.id)
                    .limit(500)
                ).all()
            for row in rows:
                if row.id not in recent:
                    recent.add(row.id)
                    _dispatch({"id": row.id, "commune_id": row.commune_id, "payload": row.payload})
                last = max(last, row.id)
            recent = {i for i in recent if i > last - 64}
        except Exception as exc:  # the type only: a logged statement's values stay out of the logs
            log.warning("live: polling the events failed (%s); retrying", type(exc).__name__)
        time.sleep(interval)
