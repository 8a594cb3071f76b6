"""Urgent means someone is told: pushes to the officers on duty (decrypted by a local push service), escalation to
the head after the commune's N minutes on a test clock, acknowledgement and its time per month, the commune's
urgent categories, and "Công an xã đã trả lời" to the group's phone with no content."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import event

from server import database
from server.alerts import operations as alerts
from server.alerts.models import OfficerPushSubscription
from server.extensions import db
from server.live import operations as live
from server.live.models import UrgentAlert
from server.reports.models import Report
from tests.conftest import report_item

from .push_service import PushService


@pytest.fixture
def clock() -> Iterator[list]:
    """The server's clock, moved by the test: ``clock[0] += timedelta(...)``."""
    now = [database.system_clock()]
    saved = database.clock
    database.clock = lambda: now[0]
    yield now
    database.clock = saved


def test_an_urgent_report_is_pushed_escalated_acknowledged_and_counted(
    app, phone, officer, head, push_service, clock
) -> None:
    on_duty = push_service.subscription()
    off_duty = push_service.subscription()
    chief = push_service.subscription()
    assert officer.request("PUT", "/api/v1/officer/push/subscription", json=on_duty).json["on_duty"] is True
    officer.request("PUT", "/api/v1/officer/push/subscription", json={**off_duty, "on_duty": False})
    head.request("PUT", "/api/v1/officer/push/subscription", json={**chief, "on_duty": False})

    report_id = phone.send_report(urgency="urgent", body="Nhóm thanh niên mang hung khí tụ tập ở bãi sông.")
    tracking = officer.get(f"/api/v1/officer/reports/{report_id}").json["tracking_code"]
    received = push_service.wait_for(1)
    assert [r.payload for r in received] == [{"title": "Có tin khẩn mới", "code": tracking, "report_id": report_id}]
    assert received[0].path == on_duty["endpoint"].rsplit(str(push_service.port), 1)[1]  # on duty only
    assert received[0].headers["authorization"].startswith("vapid t=")
    assert received[0].headers["content-encoding"] == "aes128gcm"

    pending = officer.get("/api/v1/officer/alerts").json["pending"]
    assert [(a["report_id"], a["tracking_code"], a["escalated"]) for a in pending] == [(report_id, tracking, False)]

    clock[0] += timedelta(minutes=9)
    assert app.test_cli_runner().invoke(args=["alerts", "tick"]).exit_code == 0
    assert len(push_service.received) == 1  # not yet: the default is 10 minutes
    clock[0] += timedelta(minutes=1, seconds=1)
    result = app.test_cli_runner().invoke(args=["alerts", "tick"])
    assert '"escalated": 1' in result.output
    escalation = push_service.wait_for(2)[1]
    assert escalation.path.endswith("/3") and escalation.payload["code"] == tracking  # the head's browser
    assert escalation.payload["title"] == "Tin khẩn chưa ai tiếp nhận"
    assert app.test_cli_runner().invoke(args=["alerts", "tick"]).output.count('"escalated": 0') == 1  # once

    clock[0] += timedelta(minutes=2)
    acked = officer.post(f"/api/v1/officer/alerts/{report_id}/ack")
    assert acked.status_code == 200 and acked.json["ack_seconds"] == 12 * 60 + 1
    assert officer.get(f"/api/v1/officer/reports/{report_id}").json["status"] == "acknowledged"
    assert officer.get("/api/v1/officer/alerts").json["pending"] == []
    [month] = officer.get("/api/v1/officer/alerts/stats").json
    assert month["alerts"] == 1 and month["acknowledged"] == 1 and month["escalated"] == 1
    assert month["median_seconds"] == 12 * 60 + 1
    assert officer.get("/api/v1/officer/stats").json["urgent_ack"] == [month]  # the stats screen's table
    assert all("hung khí" not in str(r.payload) for r in push_service.received)


def test_a_batch_of_urgent_reports_is_pushed_once_each_and_a_gone_browser_is_forgotten(
    app, phone, officer, head, push_service
) -> None:
    """One sync brings three urgent reports: each on-duty browser gets one push per report, once (a second tick
    sends nothing); a browser whose push service says it is gone is tried once, forgotten, and not tried again for
    the batch's other alerts."""
    gone_service = PushService(status=410).start()
    try:
        desk = push_service.subscription()
        stale = gone_service.subscription()
        assert officer.request("PUT", "/api/v1/officer/push/subscription", json=desk).status_code == 200
        assert head.request("PUT", "/api/v1/officer/push/subscription", json=stale).status_code == 200
        household = phone.group["households"][0]["id"]
        items = [report_item(household, urgency="urgent", body=f"Cháy nhà số {n} ở xóm Bến.") for n in range(3)]
        items.append(report_item(household, body="Đèn đường hỏng."))
        pushing: list[str] = []

        def count(_conn, _cursor, statement, *_args) -> None:
            if threading.current_thread().name == "binhan-push":
                pushing.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert [r["status"] for r in phone.sync(items).json["results"]] == ["created"] * 4
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        # Claimed together, their officers read together, the gone browser deleted: not three statements an alert.
        work = [s.split()[0] for s in pushing if not s.startswith("BEGIN")]
        assert len(work) <= 4, pushing
        codes = {officer.get(f"/api/v1/officer/reports/{i['id']}").json["tracking_code"] for i in items[:3]}
        pushed = push_service.wait_for(3)
        assert sorted(r.payload["code"] for r in pushed) == sorted(codes) and len(pushed) == 3
        assert len(gone_service.received) == 1, "tried once, then forgotten"
        assert db.session.query(OfficerPushSubscription).count() == 1
        assert app.test_cli_runner().invoke(args=["alerts", "tick"]).exit_code == 0
        assert len(push_service.received) == 3, "each alert is pushed once"
    finally:
        gone_service.stop()


def test_the_commune_chooses_urgent_categories_and_a_reply_anywhere_acknowledges(
    app, phone, officer, head, push_service, clock
) -> None:
    assert officer.request("PUT", "/api/v1/officer/alerts/settings", json={}).status_code in (403, 422)
    settings = head.request(
        "PUT", "/api/v1/officer/alerts/settings", json={"urgent_categories": ["violence"], "escalate_after_minutes": 5}
    )
    assert settings.json == {"urgent_categories": ["violence"], "escalate_after_minutes": 5}
    subscription = push_service.subscription()
    officer.request("PUT", "/api/v1/officer/push/subscription", json=subscription)

    household = phone.group["households"][0]["id"]
    fight, theft = report_item(household, category="violence"), report_item(household, category="theft")
    assert phone.sync([fight, theft]).status_code == 200
    assert [r.payload["report_id"] for r in push_service.wait_for(1)] == [fight["id"]]
    clock[0] += timedelta(minutes=3)
    officer.post(f"/api/v1/officer/reports/{fight['id']}/messages", json={"body": "Đang tới."})
    alerts_now = officer.get("/api/v1/officer/alerts").json
    assert alerts_now["pending"] == [] and alerts_now["recent"][0]["ack_seconds"] == 180
    clock[0] += timedelta(minutes=10)
    assert alerts.tick()["escalated"] == 0  # answered: nobody to wake


def test_the_household_phone_is_told_an_answer_waits_without_its_content(app, phone, officer, push_service) -> None:
    subscription = push_service.subscription()
    assert phone.client.put("/api/v1/push/subscription", json=subscription, headers=phone.headers).status_code == 204
    report_id = phone.send_report()
    officer.post(f"/api/v1/officer/reports/{report_id}/messages", json={"body": "Mời bác lên xã sáng mai."})
    [message] = push_service.wait_for(1)
    assert message.payload == {"title": "Công an xã đã trả lời"}
    officer.post(f"/api/v1/officer/reports/{report_id}/messages", json={"body": "ghi chú", "internal": True})
    assert len(push_service.received) == 1  # an internal note tells nobody

    push_service.status = 410  # the phone unsubscribed: the server forgets the subscription
    officer.post(f"/api/v1/officer/reports/{report_id}/messages", json={"body": "Nhắc lại."})
    officer.post(f"/api/v1/officer/reports/{report_id}/messages", json={"body": "Lần nữa."})
    assert len(push_service.wait_for(2)) == 2
    assert phone.client.put("/api/v1/push/subscription", json={"endpoint": "http://x"}, headers={}).status_code == 401


def test_another_communes_officer_sees_and_acknowledges_nothing(app, phone, other_commune, sign_in) -> None:
    report_id = phone.send_report(urgency="urgent")
    stranger = sign_in("khac", "other-officer")
    answer = stranger.get("/api/v1/officer/alerts").json
    assert answer["pending"] == [] and answer["recent"] == []
    assert stranger.post(f"/api/v1/officer/alerts/{report_id}/ack").status_code == 404
    assert stranger.get("/api/v1/officer/alerts/stats").json == []


def test_an_alert_nobody_can_be_pushed_costs_no_push_thread_and_a_later_browser_gets_the_next(
    app, phone, officer, push_service, clock
) -> None:
    """With no browser on duty in the commune, an urgent report's alert is stored as pushed to nobody inside the
    sync's own transaction: no thread, no second transaction, and the timer does not push it later to a browser
    that subscribes afterwards (it is in the console, waiting to be acknowledged). The next urgent report reaches
    that browser."""
    household = phone.group["households"][0]["id"]
    threads: list[str] = []
    started = threading.Thread.start

    def spy(thread: threading.Thread) -> None:
        threads.append(thread.name)
        started(thread)

    first = report_item(household, urgency="urgent", body="Cháy rơm ở bờ ruộng xóm Bến.")
    threading.Thread.start = spy  # type: ignore[method-assign]
    try:
        assert phone.sync([first]).json["results"][0]["status"] == "created"
    finally:
        threading.Thread.start = started  # type: ignore[method-assign]
    assert "binhan-push" not in threads
    alert = db.session.get(UrgentAlert, uuid.UUID(first["id"]))
    assert alert is not None and alert.pushed_at is not None and alert.acknowledged_at is None
    assert [a["report_id"] for a in officer.get("/api/v1/officer/alerts").json["pending"]] == [first["id"]]

    subscribed = officer.request("PUT", "/api/v1/officer/push/subscription", json=push_service.subscription())
    assert subscribed.status_code == 200
    second = report_item(household, urgency="urgent", body="Trâu lạc vào đường tàu.")
    assert phone.sync([second]).json["results"][0]["status"] == "created"
    assert [r.payload["report_id"] for r in push_service.wait_for(1)] == [second["id"]]
    clock[0] += timedelta(minutes=1)  # past the timer's 30 s before it resends what no worker sent
    assert app.test_cli_runner().invoke(args=["alerts", "tick"]).exit_code == 0
    assert len(push_service.received) == 1, "the first alert went to nobody and is not pushed late"


def test_an_alert_raised_again_is_stored_and_pushed_once(app, phone, officer, push_service) -> None:
    """A report raises its alert once: noted twice in a transaction (an item retried in its savepoint), or again
    after its alert was stored (a concurrent request), the INSERT skips it and nobody is pushed twice."""
    subscribed = officer.request("PUT", "/api/v1/officer/push/subscription", json=push_service.subscription())
    assert subscribed.status_code == 200
    household = phone.group["households"][0]["id"]
    item = report_item(household, urgency="urgent", body="Sạt lở đất chắn đường vào thôn.")
    assert phone.sync([item]).json["results"][0]["status"] == "created"
    assert len(push_service.wait_for(1)) == 1
    report = db.session.get(Report, uuid.UUID(item["id"]))
    assert report is not None
    live.raise_alert(report)
    live.raise_alert(report)
    db.session.commit()
    assert db.session.query(UrgentAlert).filter_by(report_id=report.id).count() == 1
    assert app.test_cli_runner().invoke(args=["alerts", "tick"]).exit_code == 0
    assert len(push_service.received) == 1
