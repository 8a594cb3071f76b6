"""Reports by SMS (issue 17) through Chromium against the real server: with no data link the report screen offers
"Gửi bằng tin nhắn SMS", its `sms:` links carry the queued report (decoded here with the server's codec), the
gateway's webhook stores it, and the data sync later gets "duplicate": one report for the officer.

The phone's JS codec is also held to the Python one on the whole corpus (same item, same key → same SMS)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from urllib.parse import unquote, urlparse

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from benchmarks.sms_corpus import reports, tips
from server.sms import codec
from tests.conftest import HttpClient

from .conftest import DEMO_HEAD, LiveServer
from .household import count, enrol, eventually, open_household, switch_household

pytestmark = pytest.mark.browser

HOUSEHOLD = "Hộ bà Vũ Thị Hà"  # DONG-01's sixth household, which no other browser test opens
TIP_HOUSEHOLD = "Hộ ông Đặng Văn Hùng"  # TAY-01's seventh, which no other browser test opens
GATEWAY_KEY = "browser-sms-gateway-key"
NUMBER = "+84900000113"

QUEUED_JS = """async () => {
  const store = await import('/js/store.js');
  const c = await import('/js/crypto.js');
  const key = await c.deviceKey();
  return Promise.all((await store.outboxItems()).map((i) => c.decrypt(key, i.payload)));
}"""
QUEUED_TIPS_JS = """async () => {
  const store = await import('/js/store.js');
  const c = await import('/js/crypto.js');
  const key = await c.deviceKey();
  return Promise.all((await store.tips()).map(async (t) => ({ ...t, sent: await c.decrypt(key, t.box) })));
}"""
TIP_CODE_JS = "async (id) => (await (await import('/js/store.js')).tip(id))?.trackingCode || null"
# The server's tip delays are minutes (rules.tips): the phone's copy is cut to seconds before the tip is written.
FAST_TIPS_JS = """async () => {
  const store = await import('/js/store.js');
  const kept = await store.getMeta('rules');
  kept.rules.tips = { ...kept.rules.tips, delay_seconds: { min: 1, max: 2 }, urgent_delay_seconds: { min: 1, max: 2 },
    quiet_seconds: 0 };
  await store.setMeta('rules', kept);
}"""
KEEP_SMS_LINKS_JS = """() => document.addEventListener('click', (e) => {
  if (e.target.closest('a[href^="sms:"]')) e.preventDefault();
}, true)"""
SMS_META_JS = "async () => (await import('/js/store.js')).getMeta('sms')"
AGE_JS = """async (id) => {
  const store = await import('/js/store.js');
  await store.updateItem(id, { createdAt: new Date(Date.now() - 3 * 60e3).toISOString() });
}"""
# Every other item goes as version 2, under a key chain's step (what phones send now), the others as version 1.
ENCODE_JS = """async ([items, key]) => {
  const { encode, nextKey } = await import('/js/sms-codec.js');
  const raw = Uint8Array.from(atob(key), (c) => c.charCodeAt(0));
  const out = [];
  for (const [i, item] of items.entries()) {
    out.push(await encode(item, 4242, raw, i % 2 ? { epoch: 4e9 + i, step: i } : null));
  }
  return { parts: out, next: btoa(String.fromCharCode(...await nextKey(raw))) };
}"""


def _unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _opened(messages: list[str], config: dict) -> tuple[codec.Envelope, dict]:
    """The SMS decoded with the chain key the phone held when ``config`` was read, walked to the message's step."""

    def key_of(envelope: codec.Envelope) -> bytes:
        assert (envelope.version, envelope.epoch) == (2, config["epoch"]), "a chained key, of the fetched epoch"
        key = _unb64u(config["key"])
        for _ in range(envelope.step - config["step"]):
            key = codec.next_key(key)
        return key

    return codec.decode_parts(messages, key_of)


def _deliver(live_server: LiveServer, message: str) -> dict:
    """The commune office's gateway phone posting what it received, signed as SMS Gateway for Android does."""
    raw = json.dumps(
        {
            "deviceId": "ffffffff8b0d3a6c",
            "event": "sms:received",
            "id": uuid.uuid4().hex,
            "payload": {
                "messageId": "m1",
                "message": message,
                "phoneNumber": "+84987000111",
                "simNumber": 1,
                "receivedAt": "2026-12-03T23:10:00.000+07:00",
            },
            "webhookId": "wh1",
        },
        ensure_ascii=False,
    ).encode()
    stamp = str(int(time.time()))
    signature = hmac.new(GATEWAY_KEY.encode(), raw + stamp.encode(), hashlib.sha256).hexdigest()
    answer = HttpClient(live_server.port).request(
        "POST",
        "/api/v1/sms/inbound",
        data=raw,
        headers={"Content-Type": "application/json", "X-Timestamp": stamp, "X-Signature": signature},
    )
    assert answer.status_code == 200, answer.json
    return answer.json


def test_offline_the_report_goes_by_sms_and_the_sync_later_is_a_duplicate(
    context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    head = live_server.officer(*DEMO_HEAD)
    answer = head.request("PUT", "/api/v1/officer/sms/gateway", {"number": NUMBER, "signing_key": GATEWAY_KEY})
    assert answer.status_code == 200, answer.json
    mark = uuid.uuid4().hex[:8].upper()
    body = f"{mark}: đang có khoảng 10 thanh niên cầm dao tụ tập ở bãi đất trống cuối thôn Đông"

    enrol(page, live_server.enrolment_code("DONG-01"))
    open_household(page, HOUSEHOLD)
    eventually(page, lambda: bool(page.evaluate(SMS_META_JS)))  # the sync engine fetched the key and number
    config = page.evaluate(SMS_META_JS)
    assert config["number"] == NUMBER

    context.set_offline(True)
    page.get_by_role("button", name="Viết tin mới").click()
    page.get_by_role("button", name="Tin báo an ninh").click()
    page.get_by_label("Nội dung").fill(body)
    page.get_by_label("Nơi xảy ra").fill("Bãi đất trống cuối thôn Đông")
    page.get_by_label("Khẩn cấp").check()
    page.get_by_label("Gửi ẩn danh (không ghi tên hộ)").set_checked(False)
    page.get_by_role("button", name="Gửi", exact=True).click()
    eventually(page, lambda: count(page, "outbox") == 1)  # the queue is written after the click returns
    (sent,) = page.evaluate(QUEUED_JS)
    assert set(sent) == {"id", "key_id", "sealed"}, "the device key opens only a box sealed to the server (issue 11)"
    queued = live_server.open_queued(sent)
    assert queued["body"] == body and queued["urgency"] == "urgent"

    page.get_by_role("button", name=mark).click()  # the report's row on the home screen
    offer = page.get_by_role("button", name=re.compile(r"^Gửi bằng tin nhắn SMS \((\d) tin\)$"))
    expect(offer).to_be_visible()  # on request, at once
    n = int(re.search(r"\((\d) tin\)", offer.inner_text()).group(1))
    assert n <= 2, "a signed urgent tip of two lines: one or two SMS, not the five of plain UCS-2"
    page.evaluate(AGE_JS, queued["id"])  # two minutes later, still no data: it asks by itself
    page.get_by_role("button", name="Quay lại").click()
    page.get_by_role("button", name=mark).click()
    expect(page.get_by_role("alert").filter(has_text="Tin khẩn chưa gửi được")).to_be_visible()

    page.get_by_role("button", name=f"Gửi bằng tin nhắn SMS ({n} tin)").click()
    expect(page.get_by_text(f"Tin này cần {n} tin nhắn SMS")).to_be_visible()
    expect(page.get_by_text("sẽ thấy số điện thoại của máy này")).to_be_visible()
    links = page.get_by_role("link", name=re.compile(r"^Mở (ứng dụng tin nhắn|tin nhắn \d.\d)$"))
    expect(links).to_have_count(n)
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(n)]
    assert all(href.startswith(f"sms:{NUMBER}?body=") for href in hrefs)
    messages = [unquote(urlparse(href).query.removeprefix("body=")) for href in hrefs]
    envelope, decoded = _opened(messages, config)
    assert decoded == queued and envelope.device_id == config["device_id"]
    kept = page.evaluate(SMS_META_JS)  # what a copy of the phone taken now would hold: the chain's next key only
    assert kept["step"] == envelope.step + 1
    with pytest.raises(codec.Malformed):
        codec.decode_parts(messages, lambda _: _unb64u(kept["key"]))

    # The phone's SMS app is not part of the test: the click is kept from leaving the page.
    page.evaluate(
        """() => document.addEventListener('click', (e) => {
          if (e.target.closest('a[href^="sms:"]')) e.preventDefault();
        }, true)"""
    )
    links.first.click()
    expect(page.get_by_text("Đã gửi qua SMS, chờ xác nhận").first).to_be_visible()
    assert count(page, "outbox") == 1, "it stays queued until the data sync confirms it"

    # Locked and opened again without data: the PIN opens the writing key only, the report screen is out of
    # reach (ADR 0005), so the home screen offers the SMS itself.
    page.get_by_role("button", name="Quay lại").click()
    switch_household(page)
    open_household(page, HOUSEHOLD)
    card = page.locator(".card", has_text="Đã gửi qua SMS, chờ xác nhận")
    expect(card.get_by_role("button", name=f"Gửi bằng tin nhắn SMS ({n} tin)")).to_be_visible()

    answers = [_deliver(live_server, m) for m in reversed(messages)]  # sent; the parts arrive in any order
    stored = answers[-1]
    assert stored["status"] == "stored", answers
    context.set_offline(False)
    page.get_by_role("button", name="Gửi ngay").click()
    eventually(page, lambda: count(page, "outbox") == 0)  # the sync's answer: duplicate, with the tracking code
    ours = [r for r in live_server.officer().reports() if mark in str(r.get("body", ""))]
    assert len(ours) == 1 and ours[0]["tracking_code"] == stored["tracking_code"]
    switch_household(page)
    open_household(page, HOUSEHOLD)  # online: the reading keys open, the list shows the code the SMS got
    expect(page.get_by_text(stored["tracking_code"])).to_be_visible()


def _set_gateway(live_server: LiveServer) -> None:
    head = live_server.officer(*DEMO_HEAD)
    answer = head.request("PUT", "/api/v1/officer/sms/gateway", {"number": NUMBER, "signing_key": GATEWAY_KEY})
    assert answer.status_code == 200, answer.json


def _sms_links(page: Page, n: int) -> list[str]:
    links = page.get_by_role("link", name=re.compile(r"^Mở (ứng dụng tin nhắn|tin nhắn \d.\d)$"))
    expect(links).to_have_count(n)
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(n)]
    assert all(href.startswith(f"sms:{NUMBER}?body=") for href in hrefs)
    return [unquote(urlparse(href).query.removeprefix("body=")) for href in hrefs]


def test_offline_an_anonymous_tip_goes_by_sms_only_once_the_household_accepts_what_it_reveals(
    context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    _set_gateway(live_server)
    mark = uuid.uuid4().hex[:8].upper()
    body = f"{mark}: tối nay có người lạ giao hàng cấm ở bến đò thôn Tây, khoảng 23 giờ"
    enrol(page, live_server.enrolment_code("TAY-01"))
    open_household(page, TIP_HOUSEHOLD)
    eventually(page, lambda: bool(page.evaluate(SMS_META_JS)))
    config = page.evaluate(SMS_META_JS)
    page.evaluate(FAST_TIPS_JS)

    context.set_offline(True)
    page.get_by_role("button", name="Viết tin mới").click()
    page.get_by_role("button", name="Tin báo an ninh").click()
    page.get_by_label("Nội dung").fill(body)
    page.get_by_label("Gửi ẩn danh (không ghi tên hộ)").set_checked(True)
    page.get_by_role("button", name="Gửi", exact=True).click()
    eventually(page, lambda: count(page, "tips") == 1)
    (queued,) = page.evaluate(QUEUED_TIPS_JS)
    assert set(queued["sent"]) == {"id", "key_id", "sealed"}, "the tip queue keeps it sealed to the server"
    tip = live_server.open_queued(queued["sent"])
    assert "household_id" not in tip and "created_at" not in tip, "the tip as it goes by data: no household, no time"

    page.get_by_role("button", name=mark).click()
    offer = page.get_by_role("button", name=re.compile(r"^Gửi bằng tin nhắn SMS \((\d) tin\)$"))
    n = int(re.search(r"\((\d) tin\)", offer.inner_text()).group(1))
    assert n <= 4, "a short tip and its mailbox keys, sealed or not"
    offer.click()
    expect(page.get_by_role("alert").filter(has_text="không còn giấu được máy gửi")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Mở "))).to_have_count(0)  # not before the household agrees
    page.get_by_role("button", name="Tôi hiểu, vẫn gửi bằng SMS").click()
    messages = _sms_links(page, n)
    envelope, decoded = _opened(messages, config)
    assert decoded == tip and envelope.device_id == config["device_id"]
    page.evaluate(KEEP_SMS_LINKS_JS)
    page.get_by_role("link", name=re.compile("^Mở ")).first.click()
    expect(page.get_by_text("Đã gửi qua SMS, chờ xác nhận").first).to_be_visible()

    answers = [_deliver(live_server, m) for m in reversed(messages)]
    assert answers[-1] == {"status": "stored"}, answers
    stored = live_server.officer().request("GET", f"/api/v1/officer/reports/{tip['id']}")
    assert stored.status_code == 200 and stored.json["anonymous"], stored.json
    assert stored.json["household"] is None and stored.json["group"] is None

    context.set_offline(False)  # data is back: the tip queue sends it as usual and gets "duplicate"
    page.get_by_role("button", name="Quay lại").click()
    page.get_by_role("button", name="Gửi ngay").click()
    eventually(page, lambda: page.evaluate(TIP_CODE_JS, tip["id"]) == stored.json["tracking_code"], timeout=60)
    assert len([r for r in live_server.officer().reports() if r["id"] == tip["id"]]) == 1


def _with_photos() -> list[dict]:
    """Reports with photos in clear and sealed to the server's queue key (issue 11: its id, six bytes), and tips with
    photos sealed to the commune (key_version, varint)."""
    photo = {"id": str(uuid.uuid4()), "sha256": "ab" * 32, "size": 123_456, "content_type": "image/jpeg"}
    sealed = [{**photo, "id": str(uuid.uuid4()), "key_version": version} for version in (1, 200, 2**31 - 1)]
    queued = [{**photo, "id": str(uuid.uuid4()), "key_id": key_id} for key_id in ("q7Zk-1_a", "AAAAAAAA", "q7Zk-1_")]
    return [
        {**reports(1, seed=5)[0], "attachments": [photo, *queued[:2]]},
        {**reports(1, seed=6)[0], "attachments": queued[2:]},  # not a key id: neither codec writes it
        *({**tip, "attachments": sealed} for tip in tips(2)),
    ]


def test_the_phone_writes_exactly_what_the_server_codec_writes(page: Page, live_server: LiveServer) -> None:
    page.goto("/")
    key = bytes(range(32))
    odd = {**reports(1)[0], "body": "Mixed 😀 ệ 漢字 \u0301 tab\tend", "location": ""}
    items = [*reports(60), odd, {**reports(1, seed=3)[0], "body": "A" * 2000}, *tips(30), *_with_photos()]
    written = page.evaluate(ENCODE_JS, [items, base64.b64encode(key).decode()])
    for i, (item, parts) in enumerate(zip(items, written["parts"], strict=True)):
        try:
            expected = codec.encode(item, 4242, key, chain=(4_000_000_000 + i, i) if i % 2 else None)
        except codec.Unencodable:
            expected = None
        assert parts == expected, item["body"][:40]
    assert base64.b64decode(written["next"]) == codec.next_key(key)


def test_a_background_sync_in_the_service_worker_refreshes_the_sms_number(page: Page, live_server: LiveServer) -> None:
    """Background Sync runs the engine in the service worker, which cannot import() a module: the gateway number
    must still reach a phone whose page is not the one syncing."""
    head = live_server.officer(*DEMO_HEAD)
    answer = head.request("PUT", "/api/v1/officer/sms/gateway", {"number": NUMBER, "signing_key": GATEWAY_KEY})
    assert answer.status_code == 200, answer.json
    enrol(page, live_server.enrolment_code("DONG-01"))
    eventually(page, lambda: (page.evaluate(SMS_META_JS) or {}).get("number") == NUMBER)
    page.evaluate("async () => (await import('/js/store.js')).setMeta('sms', null)")
    page.evaluate("async () => (await navigator.serviceWorker.ready).sync.register('outbox')")
    eventually(page, lambda: (page.evaluate(SMS_META_JS) or {}).get("number") == NUMBER)
