"""Keys, not screens (issue 11): what a copy of the shared phone gives away about an anonymous tip. The phone is a
real Chromium profile on disk. After a full loop (the tip sent, an officer's answer in its mailbox, read by the
household), every household is locked and the browser closed; the profile's directory is copied. The adversary
searches every file of the copy for the tip's words and the answer, then opens the copy offline and reads every
IndexedDB store, opening all that the phone can open without a PIN (the device key works in a copy of the
profile). Neither the tip's household nor the answer may be found; nor the words of a named complaint still queued,
whose household it is, nor what its SMS parts say."""

from __future__ import annotations

import base64
import json
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect

from server.sms import codec

from .chromium import CHROMIUM, CHROMIUM_ARGS
from .conftest import PHONE, LiveServer
from .household import camera_photo, enrol, open_household, switch_household, write_report

pytestmark = pytest.mark.browser

HOUSEHOLD = "Hộ ông Đặng Văn Hùng"  # BAC-01's seventh, which no other browser test opens
GROUP = "BAC-01"

# The server's tip delays are minutes (rules.tips): the phone's copy is cut to seconds before the tip is written.
FAST_TIPS_JS = """async () => {
  const store = await import('/js/store.js');
  const kept = await store.getMeta('rules');
  kept.rules.tips = { ...kept.rules.tips, delay_seconds: { min: 1, max: 2 }, urgent_delay_seconds: { min: 1, max: 2 },
    mailbox_poll_seconds: 2, quiet_seconds: 0 };
  await store.setMeta('rules', kept);
}"""

WHEN_JS = "async (ms) => (await import('/lib/time.js')).when(ms)"

# The adversary with a copy of the profile: every store as it is, and everything the device key opens.
COPY_JS = """async () => {
  const db = await new Promise((ok, no) => { const r = indexedDB.open('binh-an'); r.onsuccess = () => ok(r.result);
    r.onerror = () => no(r.error); });
  const stores = {};
  for (const name of db.objectStoreNames) {
    const s = db.transaction(name).objectStore(name);
    stores[name] = await new Promise((ok) => { const r = s.getAll(); r.onsuccess = () => ok(r.result); });
  }
  db.close();
  const c = await import('/js/crypto.js');
  const key = await c.deviceKey();
  const opened = [];
  const tryOpen = async (box) => { try { opened.push(await c.decrypt(key, box)); } catch { /* not this key's */ } };
  for (const t of stores.tips) {
    for (const box of [t.box, t.keys, ...(t.pending || []).map((p) => p.box)]) if (box) await tryOpen(box);
  }
  for (const i of [...stores.outbox, ...stores.sent]) if (i.payload) await tryOpen(i.payload);
  const files = []; // each queued photo as the device key opens it: its first bytes, in hex
  for (const b of stores.blobs) {
    const bytes = new Uint8Array(await c.decryptBytes(key, b.data));
    files.push({ id: b.id, head: Array.from(bytes.slice(0, 4), (x) => x.toString(16).padStart(2, '0')).join('') });
  }
  const plain = (v) => JSON.parse(JSON.stringify(v, (k, x) => (x instanceof ArrayBuffer || ArrayBuffer.isView(x)
    ? '[bytes]' : x instanceof CryptoKey ? '[key]' : x)));
  return { stores: plain(stores), opened: plain(opened), files };
}"""


def _launch(playwright: Playwright, live_server: LiveServer, profile: Path) -> BrowserContext:
    """Chromium on a profile directory of its own, as a phone keeps it on disk."""
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        base_url=live_server.url,
        **PHONE,
    )
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    return tmp_path / "phone"


@pytest.fixture
def context(playwright: Playwright, live_server: LiveServer, profile: Path) -> Iterator[BrowserContext]:
    """The phone: a persistent profile (the shared conftest's contexts live in memory only)."""
    context = _launch(playwright, live_server, profile)
    yield context
    with suppress(Exception):
        context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.pages[0] if context.pages else context.new_page()


def _files_holding(directory: Path, words: list[str]) -> list[str]:
    """Files of ``directory`` in which any of ``words`` is written (UTF-8 or UTF-16, as Chromium stores text)."""
    found = []
    for path in sorted(directory.rglob("*")):
        data = path.read_bytes() if path.is_file() else b""
        found += [
            f"{path.relative_to(directory)}: {word!r}"
            for word in words
            if any(word.encode(codec) in data for codec in ("utf-8", "utf-16-le"))
        ]
    return found


def _records(value: Any) -> list[dict[str, Any]]:
    """Every JSON object inside ``value``, nested ones too."""
    found: list[dict[str, Any]] = []
    if isinstance(value, dict):
        found.append(value)
        for inner in value.values():
            found += _records(inner)
    elif isinstance(value, list):
        for inner in value:
            found += _records(inner)
    return found


def test_a_copy_of_the_phone_names_no_household_and_reads_no_answer(
    playwright: Playwright, context: BrowserContext, page: Page, live_server: LiveServer, profile: Path
) -> None:
    mark = uuid.uuid4().hex[:10].upper()
    words = f"Có người lạ giấu hàng ở kho lúa cuối xóm {mark}"
    answer = f"Công an xã đã nhận tin, sẽ kiểm tra ngay tối nay ({mark})."
    enrol(page, live_server.enrolment_code(GROUP))
    page.evaluate(FAST_TIPS_JS)
    open_household(page, HOUSEHOLD)
    written = [page.evaluate("Date.now()")]
    write_report(page, "Tin báo an ninh", words, category="Ma tuý")
    written.append(page.evaluate("Date.now()"))
    page.get_by_role("button", name="Gửi ngay").click()  # the sync brings tokens; the tip goes seconds later
    expect(page.get_by_text(re.compile("Mã theo dõi"))).to_be_visible(timeout=30_000)
    officer = live_server.officer()
    (tip,) = [r for r in officer.reports() if mark in str(r.get("body", ""))]
    assert tip["anonymous"]
    sent = officer.request("POST", f"/api/v1/officer/reports/{tip['id']}/messages", {"body": answer})
    assert sent.status_code == 201, sent.json

    # The phone polls the tip's mailbox and keeps the answer sealed; the unlocked household opens it.
    page.get_by_role("button", name=re.compile(mark)).click()
    expect(page.get_by_text(answer)).to_be_visible(timeout=60_000)
    # The household still sees the minute it wrote the tip (from the sealed owner; the record keeps the day only).
    shown = page.locator(".card p.muted").first.inner_text()
    assert any(page.evaluate(WHEN_JS, moment) in shown for moment in written), shown
    # Then, with no signal, a named complaint with a photo: queued signed, sealed to the server, its SMS parts ready.
    page.get_by_role("button", name="Quay lại").click()
    context.set_offline(True)
    complaint = f"Nhà bên cạnh đánh vợ con mỗi tối, xin công an can thiệp {mark}"
    write_report(page, "Khiếu nại", complaint, photo=camera_photo())
    switch_household(page)  # the neighbour's turn: every household locked
    context.close()

    copy = profile.parent / "copy"
    shutil.copytree(profile, copy, ignore=shutil.ignore_patterns("Singleton*"))
    assert _files_holding(copy, [words, answer, complaint]) == [], "words of the household's in a file of the profile"
    thief = _launch(playwright, live_server, copy)
    try:
        thief.set_offline(True)
        stolen = thief.pages[0] if thief.pages else thief.new_page()
        stolen.goto("/")  # the copy opens offline: the service worker serves the app
        expect(stolen.get_by_role("heading", name="Chọn hộ của bạn")).to_be_visible()
        dump = stolen.evaluate(COPY_JS)
    finally:
        thief.close()

    assert answer not in json.dumps(dump, ensure_ascii=False), "no answer readable without the household's PIN"
    assert complaint not in json.dumps(dump, ensure_ascii=False), "no queued named item readable with the device key"
    assert words not in json.dumps(dump, ensure_ascii=False), "nor a tip's words (this commune has no reading key)"
    # Queued, or already in the `sent` store (kept a week for a server restore) when the service worker sent it:
    # Chromium's offline emulation does not reach a service worker's Background Sync. Sealed either way.
    (queued,) = [i for i in dump["stores"]["outbox"] + dump["stores"]["sent"] if i["type"] == "report" and i["payload"]]
    (sent,) = [o for o in dump["opened"] if o.get("id") == queued["id"]]
    assert set(sent) == {"id", "key_id", "sealed"} and live_server.open_queued(sent)["body"] == complaint
    if queued in dump["stores"]["outbox"]:  # its photo too, sealed: the device key opens no JPEG
        (photo,) = queued["attachments"]
        (file,) = [f for f in dump["files"] if f["id"] == photo["id"]]
        assert photo["key_id"] and not file["head"].startswith("ffd8"), file
    (chain,) = [m for m in dump["stores"]["meta"] if isinstance(m, dict) and "epoch" in m]
    assert queued["smsParts"], "the SMS parts were written at queue time"
    with pytest.raises(codec.Malformed):  # the SMS key the copy holds is the chain's next one
        codec.decode_parts(queued["smsParts"], lambda _: base64.urlsafe_b64decode(chain["key"] + "=="))
    about_tip = [r for r in _records(dump["stores"]) if tip["id"] in json.dumps(r)]
    assert about_tip, "the phone does keep the tip (to send it, poll its mailbox, show it to its household)"
    for record in about_tip:
        assert "householdId" not in record and "household_id" not in record, record
    # Nor when it was written (to match with a household's online unlock in the server's logs): the day only.
    (record,) = [r for r in dump["stores"]["reports"] if r["id"] == tip["id"]]
    assert record["createdAt"].endswith("T00:00:00.000Z"), record
    (queued_tip,) = [t for t in dump["stores"]["tips"] if t["id"] == tip["id"]]
    assert queued_tip["queuedAt"] is None, queued_tip
    for opened in _records(dump["opened"]):
        assert "jwk" not in opened and "household_id" not in opened, opened
    # Nor whose the named complaint is: no record, timeline entry, queued item or kept copy names a household; the
    # complaint's record has its owner sealed and the day only (the household's PIN and the server open it).
    for name in ("reports", "events", "outbox", "sent", "tips"):
        assert not [r for r in dump["stores"][name] if "householdId" in r or "household_id" in r], name
    (complaint_record,) = [r for r in dump["stores"]["reports"] if r["id"] == queued["id"]]
    assert complaint_record["owner"] and complaint_record["createdAt"].endswith("T00:00:00.000Z")
