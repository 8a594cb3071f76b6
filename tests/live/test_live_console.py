"""The live console: what a phone's sync, an officer's action and a read receipt tell every open console.

Events carry ids only and are scoped to the officer's commune; the stream replays what a reconnecting console
missed (Last-Event-ID), refuses more streams than its worker may hold, and the notifier carries events between
workers through Redis, or without Redis through the table.
"""

from __future__ import annotations

import json
import queue
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask

from server.extensions import db
from server.live import notifier
from server.live.models import LiveEvent
from tests.conftest import message_item, receipt_item

REDIS_URL = "redis://127.0.0.1:6379/0"


def events(officer: Any, after: int | None) -> dict[str, Any]:
    response = officer.get("/api/v1/officer/live/events" + ("" if after is None else f"?after={after}"))
    assert response.status_code == 200, response.json
    return response.json


def position(officer: Any) -> int:
    return events(officer, None)["last_id"]


def test_sync_reply_and_receipt_reach_the_commune_as_ids_only(phone, officer, other_commune, sign_in) -> None:
    start = position(officer)
    assert events(officer, None)["stream"] is True  # a threaded server (a sync worker says False: poll)
    report_id = phone.send_report(body="Có người lạ mang dao ở bãi sông.")
    changes = events(officer, start)
    assert [e["payload"] for e in changes["events"]] == [{"reports": [report_id]}]
    assert "dao" not in json.dumps(changes)  # never the text

    reply = officer.post(f"/api/v1/officer/reports/{report_id}/messages", json={"body": "Đã nhận, sẽ đến."})
    phone.sync([message_item(report_id)])
    phone.pull_all()
    phone.sync([receipt_item(reply.json["id"])])
    payloads = [e["payload"] for e in events(officer, changes["last_id"])["events"]]
    assert payloads == [{"messages": [report_id]}, {"messages": [report_id]}, {"receipts": [report_id]}]

    stranger = sign_in("khac", "other-officer")  # another commune's officer hears nothing of it
    assert events(stranger, start)["events"] == []


def _frames(response: Any) -> Iterator[str]:
    """The stream's frames (blank-line separated), as they come."""
    buffer = ""
    for chunk in response.response:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            frame, buffer = buffer.split("\n\n", 1)
            yield frame


def _parse(frame: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in frame.splitlines() if ": " in line and not line.startswith(":"))


@pytest.fixture
def short_streams(app: Flask) -> Iterator[None]:
    saved = {k: app.config[k] for k in ("LIVE_STREAM_SECONDS", "LIVE_HEARTBEAT_SECONDS", "LIVE_STREAMS_PER_WORKER")}
    app.config.update(LIVE_STREAM_SECONDS=1, LIVE_HEARTBEAT_SECONDS=0.3, LIVE_STREAMS_PER_WORKER=1)
    yield
    app.config.update(saved)


def test_the_stream_tells_at_once_replays_after_a_reconnect_and_is_bounded(phone, officer, short_streams) -> None:
    response = officer.client.get("/api/v1/officer/live/stream", buffered=False)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["X-Accel-Buffering"] == "no"
    frames = _frames(response)
    assert next(frames).startswith("retry: ")
    hello = _parse(next(frames))
    assert hello["event"] == "hello"

    busy = officer.client.get("/api/v1/officer/live/stream")  # the worker's one stream is taken
    assert busy.status_code == 503 and busy.json["error"]["code"] == "stream_unavailable"
    assert busy.headers["Retry-After"]

    report_id = phone.send_report()  # committed in this thread: the stream's queue has it at once
    change = _parse(next(frames))
    assert change["event"] == "change" and json.loads(change["data"]) == {"reports": [report_id]}
    rest = list(frames)  # heartbeats, then the server ends the stream after LIVE_STREAM_SECONDS
    assert rest and all(f.startswith(": hb") for f in rest)
    response.close()

    missed = phone.send_report()  # while no stream is open
    again = officer.client.get("/api/v1/officer/live/stream", headers={"Last-Event-ID": change["id"]}, buffered=False)
    frames = _frames(again)
    next(frames)
    replayed = _parse(next(frames))
    assert json.loads(replayed["data"]) == {"reports": [missed]} and int(replayed["id"]) > int(change["id"])
    again.close()


def test_a_reconnect_after_the_events_were_purged_says_reset(phone, officer, short_streams) -> None:
    phone.send_report()
    last = position(officer)
    phone.send_report()
    db.session.execute(db.delete(LiveEvent))
    db.session.commit()
    answer = events(officer, last)
    assert answer["reset"] is True


def _box(app: Flask, commune_id: int) -> queue.Queue[dict[str, Any]]:
    return notifier.subscribe(app, commune_id)


def test_a_purge_that_empties_the_table_hands_out_no_old_id_again(app, phone, officer) -> None:
    phone.send_report()
    seen = position(officer)
    db.session.execute(db.delete(LiveEvent))  # the purge of a quiet commune's old events
    db.session.commit()
    report_id = phone.send_report()
    answer = events(officer, seen)  # a console reconnecting with the last id it had
    assert [e["payload"] for e in answer["events"]] == [{"reports": [report_id]}]


def test_without_redis_events_written_by_another_worker_arrive_through_the_table(app, demo) -> None:
    box = _box(app, demo.commune.id)
    time.sleep(3 * app.config["LIVE_POLL_SECONDS"])  # the poller took its starting position
    try:
        # Another process commits an event (no publish here): the listener's poll finds it.
        db.session.add(LiveEvent(commune_id=demo.commune.id, payload={"reports": ["x"]}))
        db.session.commit()
        event = box.get(timeout=5)
        assert event["payload"] == {"reports": ["x"]} and event["commune_id"] == demo.commune.id
    finally:
        notifier.unsubscribe(demo.commune.id, box)


def test_with_redis_events_published_by_another_app_server_arrive(app, demo) -> None:
    app.config["REDIS_URL"] = REDIS_URL
    app.config["LIVE_CHANNEL"] = f"binhan-test:{uuid.uuid4()}"  # the local Redis is shared with other runs
    notifier.stop_listeners()  # the table poller of an earlier test gives way to a Redis listener
    box = _box(app, demo.commune.id)
    try:
        other_server = redis.Redis.from_url(REDIS_URL)
        event = {"id": 10**12 + uuid.uuid4().int % 10**6, "commune_id": demo.commune.id, "payload": {"alerts": True}}
        for _ in range(50):  # the subscription takes a moment to be in place
            other_server.publish(app.config["LIVE_CHANNEL"], json.dumps(event))
            try:
                assert box.get(timeout=0.1) == event
                break
            except queue.Empty:
                continue
        else:
            pytest.fail("the event never came through Redis")
    finally:
        notifier.unsubscribe(demo.commune.id, box)
        app.config["REDIS_URL"] = None
        app.config["LIVE_CHANNEL"] = notifier.CHANNEL
        notifier.stop_listeners()


def test_a_sync_worker_serves_no_stream_and_a_threaded_one_half_its_threads(app, monkeypatch) -> None:
    from server.live import stream

    sync_worker = {"gunicorn.socket": object(), "wsgi.multithread": False}
    gthread_worker = {"gunicorn.socket": object(), "wsgi.multithread": True}
    assert stream.capacity(app, sync_worker) == 0  # one stream would block every request of that worker
    monkeypatch.setenv("BINHAN_WORKER_THREADS", "8")  # what server/ops/gunicorn_conf.py tells the worker
    assert stream.capacity(app, gthread_worker) == 4
