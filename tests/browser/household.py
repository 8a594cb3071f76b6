"""What a household member does on the shared phone, as reusable steps for the browser tests.

Every step goes through what a person sees (labels, buttons); page JavaScript is used only to read
IndexedDB and the service worker's state, which a person cannot see.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import time
from collections.abc import Callable
from functools import cache
from urllib.parse import urlparse

from PIL import Image
from playwright.sync_api import Locator, Page, expect

from server import queue_key
from server.mailbox import sealing
from tests.conftest import HttpOfficer

PIN = "2468"

# Reads every record of every store of the app's database. ArrayBuffers and typed arrays are decoded
# as UTF-8 (lossy) so that clear text hidden in bytes would show up too; CryptoKeys are opaque.
IDB_DUMP_JS = """async () => {
  const db = await new Promise((ok, ko) => {
    const r = indexedDB.open('binh-an'); r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error); });
  const dec = new TextDecoder('utf-8', { fatal: false });
  const flat = (v) => {
    if (v instanceof ArrayBuffer) return dec.decode(v);
    if (ArrayBuffer.isView(v)) return dec.decode(v);
    if (v instanceof CryptoKey) return '[CryptoKey]';
    if (v instanceof Blob) return '[Blob ' + v.size + ']';
    if (Array.isArray(v)) return v.map(flat);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, flat(x)]));
    }
    return v;
  };
  const out = {};
  for (const name of db.objectStoreNames) {
    const all = await new Promise((ok) => { const r = db.transaction(name).objectStore(name).getAll();
      r.onsuccess = () => ok(r.result); });
    out[name] = all.map(flat);
  }
  db.close();
  return JSON.stringify(out);
}"""

OUTBOX_JS = """async () => {
  const db = await new Promise((ok) => {
    const r = indexedDB.open('binh-an'); r.onsuccess = () => ok(r.result); });
  const all = await new Promise((ok) => { const r = db.transaction('outbox').objectStore('outbox').getAll();
    r.onsuccess = () => ok(r.result); });
  db.close();
  return all.map((i) => ({ id: i.id, type: i.type, state: i.state, reportId: i.reportId ?? null,
    attachments: (i.attachments || []).map((a) => ({ id: a.id, sha256: a.sha256, size: a.size })) }));
}"""


# A queued photo's bytes as the upload sends them (opened with the device key, as a copy of the phone could).
QUEUED_FILE_JS = """async (id) => {
  const store = await import('/js/store.js');
  const { decryptBytes, deviceKey } = await import('/js/crypto.js');
  const bytes = new Uint8Array(await decryptBytes(await deviceKey(), (await store.photo(id)).data));
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}"""


COUNT_JS = """async (store) => {
  const db = await new Promise((ok) => {
    const r = indexedDB.open('binh-an'); r.onsuccess = () => ok(r.result); });
  const n = await new Promise((ok) => { const r = db.transaction(store).objectStore(store).count();
    r.onsuccess = () => ok(r.result); });
  db.close();
  return n;
}"""


def eventually(page: Page, check: Callable[[], bool], timeout: float = 30.0) -> None:
    """Polls a condition that no element shows (IndexedDB contents), failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        page.wait_for_timeout(200)


def fill_kept(field: Locator, text: str) -> None:
    """Fills a field of a screen that a sync may draw again meanwhile. A person's typing keeps the screen (app.js
    holds a soft redraw while a field is dirty, and keepTyped carries the text over); Playwright can instead set the
    value of the node being replaced, whose input never reaches the page. So: fill until the live field holds it."""
    for _ in range(5):
        field.fill(text)
        try:
            expect(field).to_have_value(text, timeout=1_000)
            return
        except AssertionError:
            continue
    expect(field).to_have_value(text)


def count(page: Page, store: str) -> int:
    """How many records an IndexedDB store of the app holds."""
    return int(page.evaluate(COUNT_JS, store))


CONTROL_ROLES = {"button", "textbox", "checkbox", "radio", "link", "combobox", "spinbutton"}
SMALL_TARGETS_JS = """() => [...document.querySelectorAll(
    'button, a, input:not([type=checkbox]):not([type=radio]):not([type=file]), textarea, label.check, label.chip')]
  .filter((e) => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
  .map((e) => [e.outerHTML.slice(0, 80), e.getBoundingClientRect()])
  .filter(([, r]) => r.height < 48 || r.width < 48)
  .map(([html, r]) => `${html} ${Math.round(r.width)}x${Math.round(r.height)}`)"""


def audit_screen(page: Page) -> None:
    """Every control on screen has an accessible name and a touch target of at least 48x48 px.

    Checkboxes and radios count through their label, which is the target a thumb hits.
    """
    cdp = page.context.new_cdp_session(page)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    cdp.detach()
    unnamed = [
        n["role"]["value"]
        for n in nodes
        if not n.get("ignored")
        and n.get("role", {}).get("value") in CONTROL_ROLES
        and not str(n.get("name", {}).get("value", "")).strip()
    ]
    assert unnamed == [], f"controls without an accessible name: {unnamed}"
    assert page.evaluate(SMALL_TARGETS_JS) == [], "touch targets under 48 px"


def wait_for_service_worker(page: Page) -> None:
    """Waits until the service worker controls the page (the shell is then cached for offline use)."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def enrol(page: Page, code: str, *, service_worker: bool = True) -> None:
    """Opens the app and enrols the phone with a one-time code."""
    page.goto("/")
    page.get_by_label("Mã ghi danh").fill(code)
    page.get_by_role("button", name="Ghi danh").click()
    expect(page.get_by_role("heading", name="Chọn hộ của bạn")).to_be_visible()
    if service_worker:
        wait_for_service_worker(page)


@cache
def _head(port: int) -> HttpOfficer:
    """The commune head on the live server (signed in once per server)."""
    return HttpOfficer(port, "truongcongan", "demo-head")


def household_code(page: Page, household_id: int) -> str:
    """A one-time household code the head issues for a household, as printed on its sheet; a reset code when an
    earlier test's profile (same server) already set the household's PIN."""
    head = _head(int(urlparse(page.url).port or 80))
    path = f"/api/v1/officer/households/{household_id}/codes"
    answer = head.request("POST", path, {"purpose": "claim"})
    if answer.status_code == 409:
        answer = head.request("POST", path, {"purpose": "reset"})
    assert answer.status_code == 201, answer.json
    return str(answer.json["code"])


def open_household(page: Page, name: str, pin: str = PIN) -> None:
    """Picks a household and sets its PIN with the household code the head issues (first use) or unlocks it."""
    page.get_by_role("button", name=name).click()
    page.get_by_label("Mã PIN (4–6 số)").fill(pin)
    again = page.get_by_label("Nhập lại mã PIN")
    if again.count():
        match = re.search(r"#/pin/(\d+)", page.url)
        assert match, page.url
        page.get_by_label("Mã hộ (in trên phiếu của công an xã)").fill(household_code(page, int(match.group(1))))
        again.fill(pin)
        page.get_by_role("button", name="Đặt mã PIN").click()
    else:
        page.get_by_role("button", name="Mở khoá").click()
    expect(page.get_by_role("button", name="Viết tin mới")).to_be_visible()


def switch_household(page: Page) -> None:
    """The one-tap "Đổi hộ": locks and goes back to the household list."""
    page.get_by_role("button", name="Đổi hộ").click()
    expect(page.get_by_role("heading", name="Chọn hộ của bạn")).to_be_visible()


def write_report(
    page: Page,
    kind: str,
    body: str,
    *,
    category: str | None = None,
    photo: bytes | None = None,
    anonymous: bool | None = None,
) -> None:
    """Writes and queues a report from the household's home screen (a tip is anonymous unless ``anonymous=False``)."""
    page.get_by_role("button", name="Viết tin mới").click()
    # Wait for the kind picker: the home screen's own report list can hold a button with the same words.
    expect(page.get_by_role("heading", name="Bạn muốn gửi gì?")).to_be_visible()
    page.get_by_role("button", name=kind).click()
    if category:
        page.get_by_label(category, exact=True).check()
    page.get_by_label("Nội dung").fill(body)
    page.get_by_label("Nơi xảy ra").fill("Xóm 2, gần cầu")
    if anonymous is not None:
        page.get_by_label("Gửi ẩn danh (không ghi tên hộ)").set_checked(anonymous)
    if photo:
        page.locator("#photos").set_input_files({"name": "anh.jpg", "mimeType": "image/jpeg", "buffer": photo})
        expect(page.get_by_role("img", name="Ảnh 1")).to_be_visible()
    page.get_by_role("button", name="Gửi", exact=True).click()
    expect(page.get_by_role("button", name="Viết tin mới")).to_be_visible()


def camera_photo() -> bytes:
    """A large JPEG like a phone camera's (3000x2000, with EXIF) for the app to shrink."""
    img = Image.effect_mandelbrot((3000, 2000), (-2.0, -1.2, 1.0, 1.2), 60).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92, exif=exif)
    return buf.getvalue()


def idb_dump(page: Page) -> str:
    """Everything the app keeps in IndexedDB, as one string."""
    return page.evaluate(IDB_DUMP_JS)


def queued_file(page: Page, attachment_id: str) -> bytes:
    """What the phone's queue holds of a photo, and uploads: sealed, since issue 11 (outbox.queuedFiles)."""
    return base64.b64decode(page.evaluate(QUEUED_FILE_JS, attachment_id))


def photo_inside(page: Page, photo: dict, secret_key: str) -> str:
    """The SHA-256 of the photo inside what the queue holds, which is sealed to the server's queue key (issue 11) and
    declared by its own SHA-256: what the server stores once it opens and checks it."""
    sealed = queued_file(page, str(photo["id"]))
    assert hashlib.sha256(sealed).hexdigest() == photo["sha256"]
    _, private, _ = queue_key.key_for(secret_key.encode())
    return hashlib.sha256(sealing.open_raw(private, sealed, queue_key.FILE_INFO)).hexdigest()


def outbox(page: Page) -> list[dict[str, object]]:
    """The queued items' clear metadata (ids, states, photo checksums)."""
    return page.evaluate(OUTBOX_JS)
