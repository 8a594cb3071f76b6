"""The console's SMS gateway screen (issue 17): the head sets the gateway's number and signing key, the webhook
then answers to that key, and every officer reads the SMS that were refused and why (never their text)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import HttpClient

from .conftest import LiveServer
from .console import EXPECTED_CONSOLE_ERRORS, HEAD, sign_in

pytestmark = pytest.mark.browser
ALLOWED_CONSOLE_ERRORS = EXPECTED_CONSOLE_ERRORS  # see conftest._no_script_errors


def _post(live_server: LiveServer, key: str, message: str, number: str) -> int:
    raw = json.dumps(
        {
            "deviceId": "gw",
            "event": "sms:received",
            "id": uuid.uuid4().hex,
            "payload": {
                "messageId": "x",
                "message": message,
                "phoneNumber": number,
                "simNumber": None,
                "receivedAt": "2026-12-03T20:00:00.000+07:00",
            },
            "webhookId": "w",
        },
        ensure_ascii=False,
    ).encode()
    stamp = str(int(time.time()))
    signature = hmac.new(key.encode(), raw + stamp.encode(), hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Timestamp": stamp, "X-Signature": signature}
    return HttpClient(live_server.port).request("POST", "/api/v1/sms/inbound", data=raw, headers=headers).status_code


def test_the_head_sets_the_gateway_and_officers_read_the_refused_sms(page: Page, live_server: LiveServer) -> None:
    key = "console-" + uuid.uuid4().hex
    sign_in(page, HEAD)
    page.get_by_role("link", name="Cổng SMS").click()
    expect(page.get_by_role("heading", name="Cổng SMS", level=2)).to_be_visible()
    expect(page.get_by_text("/api/v1/sms/inbound")).to_be_visible()  # the URL to register in the gateway app
    page.get_by_label("Số điện thoại của máy nhận").fill("+84900000113")
    page.get_by_label("Khoá ký webhook (Signing Key)").fill(key)
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_text(f"khoá ký …{key[-4:]}")).to_be_visible()

    digits = f"{uuid.uuid4().int % 1000:03d}"
    assert _post(live_server, "not-the-key", "hello", "+8491234" + digits) == 401  # the old or a wrong key: nothing
    assert _post(live_server, key, "Chào chú, mai con về ăn cơm nhé", "+8491234" + digits) == 200
    page.reload()
    row = page.locator("tr", has_text="…" + digits)
    expect(row).to_contain_text("Không phải tin của ứng dụng")
    expect(page.get_by_text("mai con về")).to_have_count(0)  # the SMS's text is never shown
