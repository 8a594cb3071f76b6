"""A whole day of a commune through the production gunicorn set-up (server/ops/gunicorn_conf.py: JSON logs,
multiprocess metrics), then every line it logged and every metric it exposes are searched for what must never
be there: the tip's text, the phone's token, household and officer names, the officer's password, the phone's
address.

The phone syncs a report whose text carries a marker, a follow-up and a photo; the officer signs in with a
password, reads the queue and the report, downloads the photo and replies; the phone pulls the reply; a
second phone runs into its rate limit. tests/security/test_logs.py covers the secrets of the sign-in and
enrolment paths with gunicorn's plain access log; this file covers the production configuration.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import HttpClient, RetryLater, message_item, photo_declaration, report_item
from tests.faults.device import OutboxPhone, photo
from tests.faults.officer import Officer
from tests.faults.server import CrashableServer, server_env
from tests.ops.prometheus import metric
from tests.security.conftest import REDIS_URL, clear_limits, limits_prefix

METRICS_TOKEN = "metrics-" + uuid.uuid4().hex
PRODUCTION_CONFIG = ("-c", "server/ops/gunicorn_conf.py")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrashableServer]:
    tmp: Path = tmp_path_factory.mktemp("markers")
    env = server_env(
        tmp,
        REDIS_URL=REDIS_URL,
        RATELIMIT_ENABLED="1",
        METRICS_TOKEN=METRICS_TOKEN,
        DEVICE_SYNC_LIMIT="5 per minute",
        PROMETHEUS_MULTIPROC_DIR=str(tmp / "metrics"),
        RATELIMIT_KEY_PREFIX=limits_prefix(),
    )
    (tmp / "metrics").mkdir()
    clear_limits(env["RATELIMIT_KEY_PREFIX"])
    with CrashableServer(env, tmp / "gunicorn.log", extra_args=PRODUCTION_CONFIG).running() as running:
        yield running
    clear_limits(env["RATELIMIT_KEY_PREFIX"])


def scrape(port: int) -> str:
    answer = HttpClient(port).get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert answer.status_code == 200
    return answer.content.decode()


def test_no_marker_in_logs_or_metrics(server: CrashableServer) -> None:
    port = server.port
    marker = "MARKER" + uuid.uuid4().hex[:12]
    officer_password = "demo-head"
    head = Officer(port, "truongcongan", officer_password)
    officer_name = head.request("GET", "/api/v1/officer/me").json["officer"]["display_name"]
    code = head.enrolment_code(head.group_ids()["DONG-01"])

    phone = OutboxPhone.enrol(HttpClient(port), code, name="markers", rng=random.Random(7))
    household = phone.group["households"][0]
    picture = photo(random.Random(3), 40_000)
    declared = photo_declaration(picture, "image/png")
    report = report_item(
        household["id"],
        body=f"Có người bán ma tuý ở bến đò {marker}",
        location=f"Bến đò {marker}",
        urgency="urgent",
        attachments=[declared],
    )
    phone.photos[declared["id"]] = picture
    phone.outbox += [report, message_item(report["id"], f"Bổ sung {marker}")]
    phone.run(time.monotonic() + 60)
    assert sorted(phone.delivered.values()) == ["created", "created"], phone.delivered

    before_reply = scrape(port)
    assert metric(before_reply, "binhan_unanswered_reports", commune="BINHAN", urgency="urgent") == 1
    assert metric(before_reply, "binhan_unanswered_report_age_seconds", commune="BINHAN", urgency="urgent") >= 0

    queue = head.request("GET", f"/api/v1/officer/reports?q={marker}")
    assert [item["id"] for item in queue.json["items"]] == [report["id"]]
    opened = head.request("GET", f"/api/v1/officer/reports/{report['id']}")
    assert marker in opened.json["body"]
    download = head.request("GET", f"/api/v1/officer/attachments/{declared['id']}")
    assert download.content == picture
    reply = head.request("POST", f"/api/v1/officer/reports/{report['id']}/messages", {"body": f"Đã nhận {marker}"})
    assert reply.status_code == 201, reply.json
    assert any(change["type"] == "message" for change in phone.pull_all())

    # Another phone of the group syncs past its limit (5 a minute here): refused, and counted.
    second_code = head.enrolment_code(head.group_ids()["DONG-01"])
    other = OutboxPhone.enrol(HttpClient(port), second_code, name="second", rng=random.Random(1))
    refused = 0
    for _ in range(8):
        try:
            other.sync([])
        except RetryLater as exc:
            refused += "429" in str(exc)
    assert refused >= 2

    scraped = scrape(port)
    assert metric(scraped, "binhan_unanswered_reports", commune="BINHAN", urgency="urgent") == 0
    assert metric(scraped, "binhan_sync_items_total", type="report", result="created") == 1
    assert metric(scraped, "binhan_sync_items_total", type="message", result="created") == 1
    assert metric(scraped, "binhan_syncs_total") >= 3
    assert metric(scraped, "binhan_upload_bytes_total") == len(picture)
    assert metric(scraped, "binhan_rate_limited_total", route="/api/v1/sync") == refused
    timed = {
        ("/api/v1/sync", "POST"),
        ("/api/v1/attachments/<uuid:attachment_id>", "PATCH"),
        ("/api/v1/officer/reports/<uuid:report_id>", "GET"),
    }
    for route, method in timed:
        assert metric(scraped, "binhan_http_request_duration_seconds_count", route=route, method=method) >= 1
    routes = {route for route, _ in timed}

    time.sleep(0.5)  # the last request's line is written when its answer is closed
    log = server.log()
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    requests = [line for line in lines if line["logger"] == "server.request"]
    assert {"request_id", "route", "method", "status", "duration_ms"} <= requests[0].keys()
    assert {line["route"] for line in requests} >= routes
    assert any(line.get("officer_id") for line in requests if line["route"].startswith("/api/v1/officer/"))
    assert not any("officer_id" in line for line in requests if line["route"] == "/api/v1/sync")
    assert any(line["logger"] == "gunicorn.error" for line in lines), "gunicorn's own lines are JSON too"

    bind = f"127.0.0.1:{port}"  # gunicorn says where it listens; any other 127.0.0.1 is a client's address
    markers = {
        "report text": marker,
        "device token": phone.token,
        "second device token": other.token,
        "household name": household["name"],
        "officer name": officer_name,
        "officer password": officer_password,
        "session cookie": head.cookie.split("=", 1)[1],
        "phone address": "127.0.0.1",
    }
    for where, text in (("logs", log.replace(bind, "<bind>")), ("metrics", scraped)):
        leaked = {name for name, value in markers.items() if value in text}
        assert not leaked, f"found in the {where}: {sorted(leaked)}"
