"""Replies by SMS (server/sms/outbox.py): a report that came by SMS hears of a reply or a status change by a short
SMS with its tracking code, posted to the gateway's send API (here an HTTP server in the test that answers as the
gateway's local server does), retried while the gateway is away, its fate from sms:delivered / sms:failed."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from server.database import utcnow
from server.extensions import db
from server.sms import outbox
from server.sms.models import SmsOutbound

from .gateway import NUMBER, Gateway, PhoneSms, gateway_of, sms_item


class SendApi:
    """The gateway phone's send API: records each POST, answers ``status`` (202 as the app does, or an outage)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 202
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server names it
                body = self.rfile.read(int(self.headers["Content-Length"]))
                api.received.append({"auth": self.headers["Authorization"], "json": json.loads(body)})
                self.send_response(api.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"state": "Pending"}')

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/messages"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def send_api() -> Iterator[SendApi]:
    api = SendApi()
    yield api
    api.server.shutdown()
    api.server.server_close()


@pytest.fixture
def gateway(app: Any, demo: Any, head: Any, send_api: SendApi) -> Gateway:
    row = gateway_of(app, demo.commune.id)
    answer = head.request(
        "PUT",
        "/api/v1/officer/sms/gateway",
        json={
            "number": "+84900000113",
            "signing_key": row.key,
            "api_url": send_api.url,
            "api_username": "sms",
            "api_password": "gateway-pass",
        },
    )
    assert answer.status_code == 200 and answer.json["api_url"] == send_api.url
    return row


def _event(gateway: Gateway, kind: str, payload: dict[str, Any]) -> Any:
    raw = json.dumps(
        {
            "deviceId": "gw",
            "event": kind,
            "id": f"ev-{kind}-{payload['messageId']}",
            "payload": payload,
            "webhookId": "w",
        }
    ).encode()
    return gateway.post(raw)


def test_a_reply_and_a_status_go_back_by_sms_with_the_tracking_code(app, phone, gateway, officer, send_api) -> None:
    texts = PhoneSms(phone)
    item = sms_item(phone)
    stored = gateway.deliver(texts.encode(item)[0]).json
    code = stored["tracking_code"]
    officer.post(f"/api/v1/officer/reports/{item['id']}/messages", json={"body": "Chúng tôi sẽ đến lúc 9 giờ."})
    officer.post(f"/api/v1/officer/reports/{item['id']}/messages", json={"body": "Ghi chú nội bộ", "internal": True})
    officer.post(f"/api/v1/officer/reports/{item['id']}/status", json={"status": "in_progress"})

    result = app.test_cli_runner().invoke(args=["sms-outbox"])
    assert result.exit_code == 0 and "queued 2" in result.output, result.output
    texts = sorted(r["json"]["textMessage"]["text"] for r in send_api.received)
    assert len(texts) == 2 and all(code in t and len(t) <= 160 for t in texts)
    assert any("Đang xử lý" in t for t in texts) and any("trả lời" in t for t in texts)
    assert not any("9 giờ" in t or "nội bộ" in t for t in texts), "the carrier reads SMS: no reply text in them"
    first = send_api.received[0]
    assert first["json"]["phoneNumbers"] == [NUMBER] and first["json"]["withDeliveryReport"] is True
    assert base64.b64decode(first["auth"].removeprefix("Basic ")) == b"sms:gateway-pass"
    assert app.test_cli_runner().invoke(args=["sms-outbox"]).output.startswith("queued 0"), "told once"

    delivered, failed = (r["json"]["id"] for r in send_api.received)
    assert _event(gateway, "sms:sent", {"messageId": delivered}).json["status"] == "sent"
    assert _event(gateway, "sms:delivered", {"messageId": delivered}).json["status"] == "delivered"
    assert _event(gateway, "sms:failed", {"messageId": failed, "reason": "RESULT_ERROR_NO_SERVICE"}).json == {
        "status": "failed"
    }
    late = gateway.post(
        json.dumps(
            {"deviceId": "gw", "event": "sms:sent", "id": "late", "payload": {"messageId": delivered}, "webhookId": "w"}
        ).encode()
    )
    assert late.json["status"] == "duplicate", "a state never goes back"
    states = {str(r.id): (r.state, r.last_error) for r in db.session.scalars(select(SmsOutbound))}
    assert states[delivered] == ("delivered", "") and states[failed] == ("failed", "RESULT_ERROR_NO_SERVICE")


def test_a_gateway_away_is_retried_later_and_never_twice_at_once(app, phone, gateway, officer, send_api) -> None:
    texts = PhoneSms(phone)
    item = sms_item(phone)
    gateway.deliver(texts.encode(item)[0])
    officer.post(f"/api/v1/officer/reports/{item['id']}/status", json={"status": "acknowledged"})
    assert outbox.collect() == 1

    send_api.status = 503
    assert outbox.send_due() == {"accepted": 0, "retry": 1, "failed": 0}
    assert outbox.send_due() == {"accepted": 0, "retry": 0, "failed": 0}, "not due yet"
    (row,) = db.session.scalars(select(SmsOutbound)).all()
    assert row.state == "queued" and row.attempts == 1 and row.last_error == "gateway answered 503"

    send_api.status = 202
    assert outbox.send_due(now=utcnow() + timedelta(minutes=2)) == {"accepted": 1, "retry": 0, "failed": 0}
    assert len(send_api.received) == 2 and send_api.received[0]["json"]["id"] == send_api.received[1]["json"]["id"]
    db.session.refresh(row)
    assert row.state == "accepted"
