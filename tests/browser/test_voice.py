"""Voice reports (issue 16) in Chromium with a fake microphone that plays a sentence made by espeak-ng.

One household records a report offline with no text, closes the app, opens it again and sends it once online;
the recording travels as the photos do (sealed in IndexedDB, resumable upload) and arrives as Opus audio the
officer can play; the other household on the same phone neither lists nor plays it, and IndexedDB never holds
the sound in clear.
"""

from __future__ import annotations

import json
import math
import shutil
import struct
import subprocess
import uuid
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect

from server.attachments import audio

from .chromium import CHROMIUM, CHROMIUM_ARGS
from .conftest import LiveServer
from .console import sign_in
from .household import count, enrol, eventually, idb_dump, open_household, switch_household

pytestmark = pytest.mark.browser

HOUSEHOLD_A = "Hộ ông Nguyễn Văn An"
HOUSEHOLD_B = "Hộ bà Trần Thị Bình"
# What Opus in WebM says in its own header: none of it may be in IndexedDB in clear.
CLEAR_AUDIO = ("OpusHead", "A_OPUS", "\x1aE\u07e3")


def speech_wav(path: Path) -> Path:
    """A sentence spoken by espeak-ng (a warbling tone where it is not installed), 16 kHz mono."""
    espeak = shutil.which("espeak-ng")
    if espeak:
        text = "Nhà tôi bị mất trộm hai con gà tối hôm qua, xin công an xã đến xem giúp."
        subprocess.run([espeak, "-v", "vi", "-s", "140", "-w", str(path), text], check=True, capture_output=True)
        return path
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        frames = (
            int(8000 * math.sin(2 * math.pi * (300 + 80 * math.sin(i / 2000)) * i / 16000)) for i in range(16000 * 4)
        )
        out.writeframes(b"".join(struct.pack("<h", f) for f in frames))
    return path


@pytest.fixture(scope="module")
def mic_browser(playwright: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Chromium whose microphone plays the wav, with the permission prompt answered yes."""
    wav = speech_wav(tmp_path_factory.mktemp("mic") / "speech.wav")
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
    yield browser
    browser.close()


@pytest.fixture
def context(mic_browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    ctx = mic_browser.new_context(
        base_url=live_server.url,
        viewport={"width": 360, "height": 640},
        locale="vi-VN",
        service_workers="allow",
        permissions=["microphone"],
    )
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def record(page: Page, seconds: float) -> None:
    page.get_by_role("button", name="Bấm để nói (ghi âm)").click()
    expect(page.get_by_role("timer")).to_contain_text("0:01")
    page.wait_for_timeout(int(seconds * 1000))
    page.get_by_role("button", name="Bấm để dừng").click()
    expect(page.locator("#voice-playback")).to_be_visible()


FILE_KEYS_JS = """async () => {
  const db = await new Promise((ok) => { const r = indexedDB.open('binh-an'); r.onsuccess = () => ok(r.result); });
  const keys = await new Promise((ok) => { const r = db.transaction('files').objectStore('files').getAllKeys();
    r.onsuccess = () => ok(r.result); });
  db.close();
  return keys.map(String);
}"""

# Plays the element until its clock passes 0.3 s (a loaded machine may take seconds), then pauses.
PLAYS_JS = """async (sel) => {
  const el = document.querySelector(sel);
  el.muted = true;
  await el.play();
  const until = Date.now() + 10000;
  while (el.currentTime < 0.3 && !el.ended && Date.now() < until) await new Promise((ok) => setTimeout(ok, 100));
  const t = el.currentTime;
  el.pause();
  return el.error ? -1 : t;
}"""


def test_a_spoken_report_recorded_offline_reaches_the_officer_and_only_its_household(
    context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    enrol(page, live_server.enrolment_code("DONG-01"))
    open_household(page, HOUSEHOLD_B)  # PINs are set online (the household code needs a link)
    switch_household(page)
    open_household(page, HOUSEHOLD_A)

    # Offline: a help request spoken, not typed; played back before sending.
    context.set_offline(True)
    page.get_by_role("button", name="Viết tin mới").click()
    page.get_by_role("button", name="Cần giúp đỡ").click()
    record(page, 3.5)
    assert page.evaluate(PLAYS_JS, "#voice-playback") > 0
    expect(page.get_by_text("Đã ghi âm 0:0")).to_be_visible()
    page.get_by_role("button", name="Gửi", exact=True).click()
    expect(page.get_by_role("button", name="Viết tin mới")).to_be_visible()
    expect(page.locator(".voice-size")).to_contain_text("KB")  # the outbox says how much is left to send
    dump = idb_dump(page)
    assert '"audio/webm"' in dump  # the recording is queued (its type is clear metadata, like a photo's)
    for marker in CLEAR_AUDIO:
        assert marker not in dump, marker

    # The app is closed and opened again, still offline; then the link comes back.
    page.close()
    page = context.new_page()
    page.goto("/")
    open_household(page, HOUSEHOLD_A)
    context.set_offline(False)
    page.get_by_role("button", name="Gửi ngay").click()
    eventually(page, lambda: count(page, "outbox") == 0, timeout=40)

    officer = live_server.officer()
    (report,) = [
        r
        for r in officer.reports(kind="help")
        if r["body"] == "" and any(a["content_type"] == "audio/webm" for a in r["attachments"])
    ]
    (att,) = report["attachments"]
    assert att["complete"] and 2500 <= att["duration_ms"] <= 6000
    heard = officer.request("GET", f"/api/v1/officer/attachments/{att['id']}")
    assert heard.status_code == 200 and heard.headers["content-type"] == "audio/webm"
    clean = audio.clean(heard.content)
    assert clean.data == heard.content  # stored already clean: nothing left to strip
    bitrate = 8 * len(heard.content) / (att["duration_ms"] / 1000)
    print(json.dumps({"recorded_bytes": len(heard.content), "duration_ms": att["duration_ms"], "bits_per_s": bitrate}))
    assert bitrate < 40_000  # a speech bitrate (16 kbit/s asked), not the 128 kbit/s default

    # The officer, in the console: the queue shows the recording's length under "có ghi âm"; the report plays it
    # at 1.5×; the officer types what was said (found by a search without tones) and answers by voice.
    console = context.new_page()
    sign_in(console)
    console.goto("/officer/#/queue?has_voice=true&sort=newest")
    expect(console.locator(".voice-tag").first).to_contain_text("Ghi âm 0:0")
    console.goto(f"/officer/#/report/{report['id']}")
    console.get_by_role("button", name="1.5×").click()
    assert console.evaluate(PLAYS_JS, ".recordings audio") > 0
    assert console.evaluate("document.querySelector('.recordings audio').playbackRate") == 1.5
    console.get_by_label("Nội dung nghe được (gõ lại để tìm kiếm)").fill("Nhà tôi bị mất trộm hai con gà")
    console.get_by_role("button", name="Lưu nội dung").click()
    expect(console.get_by_text("Đã lưu")).to_be_visible()
    assert [r["id"] for r in officer.reports(q="mat trom hai con ga")] == [report["id"]]
    console.reload()  # the save re-renders the report: record in the page as it now is
    expect(console.get_by_label("Nội dung nghe được (gõ lại để tìm kiếm)")).to_have_value(
        "Nhà tôi bị mất trộm hai con gà"
    )
    console.get_by_role("button", name="Ghi âm", exact=True).click()
    stop = console.get_by_role("button", name="Dừng ghi")
    expect(stop).to_be_visible()  # recording has started (the microphone may take a moment)
    console.wait_for_timeout(2500)
    stop.click()
    expect(console.locator(".voice-preview audio")).to_be_visible()
    console.get_by_label("Kèm lời nhắn (không bắt buộc)").fill("Chiều nay cán bộ sẽ đến")
    console.get_by_role("button", name="Gửi trả lời bằng giọng nói").click()
    expect(console.locator(".thread audio")).to_be_visible()
    console.close()
    status, detail = officer.request("GET", f"/api/v1/officer/reports/{report['id']}")
    assert status == 200 and detail["messages"][-1]["voice"]["duration_ms"] >= 2000, detail["messages"][-1]

    # The household hears the answer, offline once synced; "Nghe" reads the text where a Vietnamese voice exists.
    switch_household(page)
    open_household(page, HOUSEHOLD_A)
    page.get_by_role("button", name="Gửi ngay").click()
    # This answer's recording, not any file: other tests' announcement forms may already be on the phone.
    voice_key = f"voice/{detail['messages'][-1]['voice']['id']}"
    eventually(page, lambda: voice_key in page.evaluate(FILE_KEYS_JS), timeout=30)
    context.set_offline(True)
    page.locator(".list .row").first.click()
    expect(page.get_by_text("Công an xã trả lời bằng giọng nói")).to_be_visible()
    assert page.evaluate(PLAYS_JS, "audio.reply-voice") > 0  # it plays (a loaded machine may play it slowly)
    vietnamese = page.evaluate("speechSynthesis.getVoices().some((v) => v.lang.toLowerCase().startsWith('vi'))")
    expect(page.get_by_role("button", name="Nghe")).to_have_count(1 if vietnamese else 0)
    if not vietnamese:
        assert page.locator("button.listen[hidden]").count() == 1  # there, hidden: no Vietnamese voice here
    context.set_offline(False)
    dump = idb_dump(page)
    for marker in CLEAR_AUDIO:
        assert marker not in dump, marker  # the officer's recording is kept encrypted too

    # Household B on the same phone: A's report is not in its list, and nothing of the sound is kept in clear.
    switch_household(page)
    open_household(page, HOUSEHOLD_B)
    expect(page.get_by_text("Tin của hộ")).to_be_visible()
    expect(page.locator("audio")).to_have_count(0)
    assert page.get_by_role("button", name="Cần giúp đỡ").count() == 0
    for marker in CLEAR_AUDIO:
        assert marker not in idb_dump(page), marker
    # A phone without this group's token cannot fetch it either.
    status = page.evaluate(
        "async (id) => (await fetch('/api/v1/attachments/' + id, {headers: {Authorization: 'Bearer x'}})).status",
        att["id"],
    )
    assert status in (401, 404)
    assert uuid.UUID(att["id"])


# What the sync engine keeps of an item the server refused (js/sync.js): the household is asked to fix it.
REFUSE_JS = """async () => {
  const store = await import('/js/store.js');
  const [item] = await store.outboxItems();
  await store.updateItem(item.id, { state: 'attention',
    error: { code: 'validation_error', message: 'Nội dung không hợp lệ.' } });
}"""


def test_a_refused_spoken_report_reopens_with_its_recording_and_length(
    context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    enrol(page, live_server.enrolment_code("DONG-01"))
    open_household(page, HOUSEHOLD_A)
    context.set_offline(True)
    page.get_by_role("button", name="Viết tin mới").click()
    page.get_by_role("button", name="Cần giúp đỡ").click()
    record(page, 2.5)
    length = page.locator(".voice-info").inner_text().split("·")[0].strip()  # "Đã ghi âm 0:02"
    page.get_by_role("button", name="Gửi", exact=True).click()
    expect(page.get_by_role("button", name="Viết tin mới")).to_be_visible()
    page.evaluate(REFUSE_JS)

    context.set_offline(False)  # reading the household's own reports needs one online unlock
    page.reload()
    open_household(page, HOUSEHOLD_A)
    page.locator(".list .row").first.click()
    page.get_by_role("button", name="Sửa và gửi lại").click()
    expect(page.locator(".voice-info")).to_contain_text(length)
    assert length != "Đã ghi âm 0:00"
    assert page.evaluate(PLAYS_JS, "#voice-playback") > 0
