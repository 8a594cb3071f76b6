"""The commune office's gateway phone and a household phone as the SMS tests see them (real request formats)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from server.sms import codec
from server.sms import operations as sms
from tests.conftest import Phone, report_item

NUMBER = "+84912345678"


def iso_now() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"  # what toISOString() writes


def sms_item(phone: Phone, **overrides: Any) -> dict[str, Any]:
    return report_item(phone.group["households"][0]["id"], created_at=iso_now(), **overrides)


class PhoneSms:
    """A phone's SMS key chain as the phone keeps it (codec, version 2): each message goes under the chain's current
    key, which the phone then replaces by the next."""

    def __init__(self, phone: Phone) -> None:
        answer = phone.client.get("/api/v1/sms/config", headers=phone.headers)
        assert answer.status_code == 200, answer.json
        assert answer.json["number"] == "+84900000113", "the demo commune's gateway"
        self.device_id, self.epoch = answer.json["device_id"], answer.json["epoch"]
        self.key, self.step = base64.urlsafe_b64decode(answer.json["key"] + "=="), 0

    def encode(self, item: dict[str, Any], key: bytes | None = None) -> list[str]:
        """The item's parts under the next key of the chain (``key``: someone else's guess at it)."""
        parts = codec.encode(item, self.device_id, key or self.key, chain=(self.epoch, self.step))
        self.key, self.step = codec.next_key(self.key), self.step + 1
        return parts


class Gateway:
    """The commune office's phone running SMS Gateway for Android: signs each delivery as its webhooks do."""

    def __init__(self, client: Any, signing_key: str) -> None:
        self.client = client
        self.key = signing_key

    def body(self, message: str, envelope: str | None = None, number: str = NUMBER) -> bytes:
        event = {
            "deviceId": "ffffffff8b0d3a6c",
            "event": "sms:received",
            "id": envelope or f"Ey6ECgOkVVFjz3CL48B8C{uuid.uuid4().hex[:6]}",
            "payload": {
                "messageId": "abc",
                "message": message,
                "phoneNumber": number,
                "simNumber": 1,
                "receivedAt": "2026-12-03T14:02:11.000+07:00",
            },
            "webhookId": "LreFUt-Z3sSq0JufY9uWB",
        }
        return json.dumps(event, ensure_ascii=False).encode()

    def post(self, raw: bytes, timestamp: int | None = None, key: str | None = None) -> Any:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        signature = hmac.new((key or self.key).encode(), raw + stamp.encode(), hashlib.sha256).hexdigest()
        return self.client.post(
            "/api/v1/sms/inbound",
            data=raw,
            headers={"Content-Type": "application/json", "X-Timestamp": stamp, "X-Signature": signature},
        )

    def deliver(self, message: str, **kwargs: Any) -> Any:
        return self.post(self.body(message, **kwargs))


def gateway_of(app: Any, commune_id: int) -> Gateway:
    row = sms.gateway(commune_id)
    assert row is not None, "seed-demo configures the demo commune's gateway"
    return Gateway(app.test_client(), row.signing_key)
