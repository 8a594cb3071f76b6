"""A household's keys on the shared phone (ADR 0005, issue 11), through Chromium against the real server: the first
PIN needs the household code the head prints, and what the household queues carries its signature, which the
server's copy of its public key verifies."""

from __future__ import annotations

import base64
import json
import sqlite3
import uuid

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from playwright.sync_api import BrowserContext, Page, expect

from .conftest import LiveServer
from .household import PIN, count, enrol, eventually, household_code, idb_dump, open_household, write_report

pytestmark = pytest.mark.browser

HOUSEHOLD = "Hộ ông Đỗ Văn Minh"  # only in BAC-01, which no other browser test opens this far

# What the sync engine pushes for each queued item: the outbox copy opened with the device key, in the page.
QUEUED_JS = """async () => {
  const store = await import('/js/store.js');
  const c = await import('/js/crypto.js');
  const key = await c.deviceKey();
  return Promise.all((await store.outboxItems()).map((i) => c.decrypt(key, i.payload)));
}"""


def _unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign_public_key(live_server: LiveServer, household_id: int) -> bytes:
    """The household's current public sign key as the server registered it at the claim."""
    path = live_server.env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        (key,) = db.execute(
            "SELECT sign_public_key FROM household_key WHERE household_id = ? AND retired_at IS NULL", (household_id,)
        ).fetchone()
    return bytes(key)


def test_first_pin_needs_the_household_code_and_queued_reports_are_signed(
    context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    mark = uuid.uuid4().hex[:10].upper()
    enrol(page, live_server.enrolment_code("BAC-01"))
    page.get_by_role("button", name=HOUSEHOLD).click()
    household_id = int(page.url.rsplit("/", 1)[-1])
    code_field = page.get_by_label("Mã hộ (in trên phiếu của công an xã)")

    # Without the code the head printed, nobody sets this household's PIN.
    code_field.fill("AAAA-BBBB")
    page.get_by_label("Mã PIN (4–6 số)").fill(PIN)
    page.get_by_label("Nhập lại mã PIN").fill(PIN)
    page.get_by_role("button", name="Đặt mã PIN").click()
    expect(page.get_by_role("alert")).to_have_text("Mã hộ không đúng. Hãy kiểm tra lại.")
    expect(page.get_by_role("button", name="Viết tin mới")).to_have_count(0)

    code_field.fill(household_code(page, household_id))
    page.get_by_role("button", name="Đặt mã PIN").click()
    expect(page.get_by_role("button", name="Viết tin mới")).to_be_visible()

    # Queued offline: the item already carries the household's signature (signed at writing, PIN open).
    context.set_offline(True)
    body = f"Có người lạ hỏi đường vào xóm lúc nửa đêm {mark}"
    write_report(page, "Tin báo an ninh", body, category="Ma tuý", anonymous=False)
    (sent,) = page.evaluate(QUEUED_JS)
    assert set(sent) == {"id", "key_id", "sealed"}, "signed, then sealed to the server: the device key opens no more"
    item = live_server.open_queued(sent)
    assert item["household_id"] == household_id and item["body"] == body
    signature = _unb64u(item.pop("signature"))
    signed = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _sign_public_key(live_server, household_id))
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    public.verify(der, signed, ec.ECDSA(hashes.SHA256()))  # raises on a wrong signature
    assert body not in idb_dump(page)

    context.set_offline(False)
    page.get_by_role("button", name="Gửi ngay").click()
    eventually(page, lambda: count(page, "outbox") == 0)
    assert [r for r in live_server.officer().reports() if mark in str(r.get("body", ""))]


LEGACY_JS = """async (name) => {
  const store = await import('/js/store.js');
  const c = await import('/js/crypto.js');
  const hh = (await store.households()).find((x) => x.name === name);
  const { keys } = await c.setupPin('1357');  // the PIN screen before household codes
  await store.updateHousehold(hh.id, (x) => ({ ...x, keys }));
  return hh.id;
}"""


def test_a_household_from_before_keeps_its_reports_and_queue_when_it_enters_its_code(
    context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    mark = uuid.uuid4().hex[:10].upper()
    name = "Hộ bà Ngô Thị Nga"  # only in BAC-01
    enrol(page, live_server.enrolment_code("BAC-01"))
    household_id = page.evaluate(LEGACY_JS, name)
    page.reload()
    page.get_by_role("button", name=name).click()
    page.get_by_label("Mã PIN (4–6 số)").fill("1357")
    page.get_by_role("button", name="Mở khoá").click()
    expect(page.get_by_text("Hãy nhập mã hộ do công an xã cấp")).to_be_visible()

    context.set_offline(True)
    body = f"Đèn đường hỏng ở đầu thôn {mark}"
    write_report(page, "Cần giúp đỡ", body)
    (unsigned,) = page.evaluate(QUEUED_JS)
    assert "signature" not in unsigned and "sealed" not in unsigned  # no key yet: signed and sealed at the claim

    context.set_offline(False)
    page.get_by_role("button", name="Nhập mã hộ").click()
    page.get_by_label("Mã hộ (in trên phiếu của công an xã)").fill(household_code(page, household_id))
    page.get_by_label("Mã PIN (4–6 số)").fill(PIN)
    page.get_by_label("Nhập lại mã PIN").fill(PIN)
    page.get_by_role("button", name="Đặt mã PIN").click()
    expect(page.get_by_text(body)).to_be_visible()  # its report, re-encrypted to the new keys
    expect(page.get_by_text("Hãy nhập mã hộ do công an xã cấp")).to_have_count(0)

    page.get_by_role("button", name="Đổi hộ").click()
    page.get_by_role("button", name=name).click()
    page.get_by_label("Mã PIN (4–6 số)").fill(PIN)
    page.get_by_role("button", name="Mở khoá").click()
    expect(page.get_by_text(body)).to_be_visible()
    eventually(page, lambda: count(page, "outbox") == 0)
    assert [r for r in live_server.officer().reports() if mark in str(r.get("body", ""))]


def test_a_forgotten_pin_is_reset_with_the_communes_code_after_a_warning(page: Page, live_server: LiveServer) -> None:
    name = "Hộ bà Bùi Thị Lan"  # BAC-01's, which no other test opens
    mark = uuid.uuid4().hex[:10].upper()
    enrol(page, live_server.enrolment_code("BAC-01"))
    page.get_by_role("button", name=name).click()
    household_id = int(page.url.rsplit("/", 1)[-1])
    page.get_by_role("button", name="Quay lại").click()
    open_household(page, name)
    write_report(page, "Hỏi thủ tục", f"Xin cấp lại giấy khai sinh {mark}")
    expect(page.locator(".badge.sent")).to_have_count(1, timeout=30_000)

    page.get_by_role("button", name="Đổi hộ").click()
    page.get_by_role("button", name=name).click()
    page.get_by_role("button", name="Quên mã PIN").click()
    warning = "Các tin đã gửi và tin trả lời cũ trên máy sẽ không còn hiện nữa; các tin đang chờ gửi vẫn được gửi."
    expect(page.get_by_text(warning)).to_be_visible()
    page.get_by_label("Mã đặt lại PIN (do công an xã cấp)").fill(household_code(page, household_id))
    page.get_by_label("Mã PIN (4–6 số)").fill("8642")
    page.get_by_label("Nhập lại mã PIN").fill("8642")
    page.get_by_role("button", name="Đặt mã PIN").click()
    expect(page.get_by_role("button", name="Viết tin mới")).to_be_visible()
    # The report's words are sealed to the old keys: gone, as the warning said (this page still remembers that the
    # household wrote it, until it closes: its sealed owner opens with the old keys only).
    expect(page.get_by_text(mark)).to_have_count(0)

    page.get_by_role("button", name="Đổi hộ").click()
    page.get_by_role("button", name=name).click()
    page.get_by_label("Mã PIN (4–6 số)").fill(PIN)
    page.get_by_role("button", name="Mở khoá").click()
    expect(page.get_by_role("alert")).to_have_text("Sai mã PIN. Còn 9 lần thử hôm nay.")
    page.get_by_label("Mã PIN (4–6 số)").fill("8642")
    page.get_by_role("button", name="Mở khoá").click()
    expect(page.get_by_role("button", name="Viết tin mới")).to_be_visible()
