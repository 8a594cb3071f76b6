"""``/healthz``, ``/readyz`` and ``/metrics`` on both databases: readiness fails, with the failing check named,
when the database, Redis or the attachment store is unreachable or a migration is pending; the metrics count
syncs and their items, and show the backlog of unanswered reports per commune."""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from server import create_app
from server.extensions import db
from server.logs import JsonFormatter
from tests.conftest import message_item, report_item
from tests.ops.prometheus import metric

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def checks(response: Any) -> dict[str, str]:
    return {name: entry["status"] for name, entry in response.json["checks"].items()}


def test_healthz_and_readyz_when_all_is_well(client) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["status"] == "ready"
    assert checks(ready) == {"database": "ok", "migrations": "ok", "redis": "skipped", "attachments": "ok"}
    assert len(ready.headers["X-Request-ID"]) == 32


def test_readyz_checks_redis_when_configured(app: Flask, client) -> None:
    app.config["REDIS_URL"] = REDIS_URL
    try:
        assert checks(client.get("/readyz"))["redis"] == "ok"
        app.config["REDIS_URL"] = CLOSED_PORT_REDIS
        down = client.get("/readyz")
        assert down.status_code == 503
        assert down.json["status"] == "not_ready"
        assert checks(down) == {"database": "ok", "migrations": "ok", "redis": "fail", "attachments": "ok"}
        assert down.json["checks"]["redis"]["error"] == "ConnectionError"
    finally:
        app.config["REDIS_URL"] = None


def test_readyz_fails_when_the_attachment_store_cannot_take_bytes(app: Flask, client, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    app.config["ATTACHMENTS_DIR"] = str(blocker / "attachments")
    down = client.get("/readyz")
    assert down.status_code == 503
    assert checks(down)["attachments"] == "fail"


def test_readyz_fails_while_a_migration_is_pending(app: Flask, client) -> None:
    (head,) = db.session.scalars(text("SELECT version_num FROM alembic_version")).all()
    db.session.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    db.session.commit()
    try:
        down = client.get("/readyz")
        assert down.status_code == 503
        assert checks(down)["migrations"] == "fail"
        assert down.json["checks"]["migrations"]["error"] == f"database at 0004, code at {head}"
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        db.session.commit()
    assert client.get("/readyz").status_code == 200


def test_readyz_stays_ready_when_the_database_is_ahead_of_the_code(app: Flask, client) -> None:
    """A rolling upgrade: the new release migrated (expand), this older instance keeps serving until replaced."""
    (head,) = db.session.scalars(text("SELECT version_num FROM alembic_version")).all()
    db.session.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_next_release'"))
    db.session.commit()
    try:
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert "newer than this code" in ready.json["checks"]["migrations"]["note"]
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        db.session.commit()


@pytest.mark.parametrize(
    "url", ["sqlite:////nonexistent-directory/binhan.db", "postgresql+psycopg://127.0.0.1:1/nothing?connect_timeout=2"]
)
def test_readyz_fails_when_the_database_is_unreachable(url: str, tmp_path: Path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ATTACHMENTS_DIR": str(tmp_path), "SECRET_KEY": "x"})
    down = app.test_client().get("/readyz")
    assert down.status_code == 503
    assert checks(down) == {"database": "fail", "migrations": "fail", "redis": "skipped", "attachments": "ok"}
    assert app.test_client().get("/healthz").status_code == 200, "healthz touches no database"


def test_metrics_need_the_token(app: Flask, client) -> None:
    app.config["METRICS_TOKEN"] = None
    assert client.get("/metrics").status_code == 404, "no token configured: no metrics at all"
    app.config["METRICS_TOKEN"] = "s3cret-scraper"
    try:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        scraped = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scraper"})
        assert scraped.status_code == 200
        assert scraped.headers["Content-Type"].startswith("text/plain; version=")
    finally:
        app.config["METRICS_TOKEN"] = None


def test_metrics_count_items_and_show_the_backlog(app: Flask, client, phone, officer) -> None:
    app.config["METRICS_TOKEN"] = "t"

    def scrape() -> str:
        return client.get("/metrics", headers={"Authorization": "Bearer t"}, buffered=True).data.decode()

    try:
        before = scrape()
        household = phone.group["households"][0]["id"]
        urgent = report_item(household, urgency="urgent")
        items = [urgent, report_item(household), message_item(urgent["id"]), {"type": "nonsense", "id": "x"}]
        assert phone.sync(items).status_code == 200
        assert phone.sync(items[:1]).status_code == 200  # a retry: duplicate
        after = scrape()

        def delta(**labels: str) -> float:
            return metric(after, "binhan_sync_items_total", **labels) - metric(
                before, "binhan_sync_items_total", **labels
            )

        assert delta(type="report", result="created") == 2
        assert delta(type="message", result="created") == 1
        assert delta(type="unknown", result="rejected") == 1
        assert delta(type="report", result="duplicate") == 1
        assert metric(after, "binhan_syncs_total") - metric(before, "binhan_syncs_total") == 2
        assert metric(after, "binhan_unanswered_reports", commune="BINHAN", urgency="urgent") == 1
        assert metric(after, "binhan_unanswered_reports", commune="BINHAN", urgency="normal") == 1
        assert 0 <= metric(after, "binhan_unanswered_report_age_seconds", commune="BINHAN", urgency="urgent") < 60

        answered = officer.post(f"/api/v1/officer/reports/{urgent['id']}/messages", json={"body": "Đã nhận."})
        assert answered.status_code == 201
        assert metric(scrape(), "binhan_unanswered_reports", commune="BINHAN", urgency="urgent") == 0
        timed = scrape()
        assert metric(timed, "binhan_http_request_duration_seconds_count", route="/metrics", method="GET") >= 2
    finally:
        app.config["METRICS_TOKEN"] = None


def test_the_proxys_request_id_is_kept_and_a_bad_one_replaced(client) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "0f3e8a1c2b4d4e6f8a9b0c1d2e3f4a5b"})
    assert given.headers["X-Request-ID"] == "0f3e8a1c2b4d4e6f8a9b0c1d2e3f4a5b"
    for bad in ("short", "x" * 65, "tip text with spaces", "a\u00e9bcdefghi"):
        replaced = client.get("/healthz", headers={"X-Request-ID": bad.encode().decode("latin-1")})
        assert replaced.headers["X-Request-ID"] != bad and len(replaced.headers["X-Request-ID"]) == 32


def test_one_json_line_per_request(client, officer) -> None:
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonFormatter())
    request_log = logging.getLogger("server.request")
    request_log.addHandler(handler)
    request_log.setLevel(logging.INFO)  # the tests' root logger is at WARNING (alembic.ini, under migrations)
    try:
        client.get("/api/v1/rules", headers={"X-Request-ID": "req-from-nginx-42"}, buffered=True)
        officer.get("/api/v1/officer/reports")
    finally:
        request_log.removeHandler(handler)
        request_log.setLevel(logging.NOTSET)
    phone_call, officer_call = (json.loads(line) for line in lines.getvalue().splitlines())
    assert phone_call.keys() == {
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "route",
        "method",
        "status",
        "duration_ms",
    }
    assert phone_call["request_id"] == "req-from-nginx-42"
    assert (phone_call["route"], phone_call["method"], phone_call["status"]) == ("/api/v1/rules", "GET", 200)
    assert officer_call["route"] == "/api/v1/officer/reports" and isinstance(officer_call["officer_id"], int)
