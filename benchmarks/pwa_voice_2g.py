"""2G delivery of a spoken tip (issue 16): time from the link coming back to "sent", and a cut upload resumed.

    python benchmarks/pwa_voice_2g.py [--small] [--database-url postgresql://...]

Debian's Chromium (through Playwright) with a fake microphone that plays a Vietnamese sentence made by espeak-ng
(a warbling tone where espeak-ng is not installed) opens the household app against a throwaway gunicorn server,
enrols and unlocks a household, and, with no signal, records a tip of RECORD_SECONDS (30 s; 3 s with --small) on
the compose screen, with no text. Two deliveries over pwa_2g's 2G profile (300 ms latency, 50 kbit/s up; --small:
the first only, of a 3 s recording):

- **whole**: the link comes back as 2G; the clock runs from the page's ``online`` event to the tip's "sent"
  badge. The budget is RTT + 1.2 × bytes / bandwidth: one latency per request plus 1.2 times the bytes over each
  direction's bandwidth (CDP's counts, headers included).
- **cut**: the link comes back as 2G and is cut again once 60 % of the recording's bytes should have gone up;
  it comes back after 3 s. The phone reaches the server through a relay whose connections are reset at the cut
  (CDP's "offline" alone lets a request already uploading go on). What the phone sent twice (the chunks of its
  PATCH requests beyond the recording's size) must be at most one chunk (32 KB for recordings, js/uploads.js).
  Chromium does not notice the reset under its network emulation: the chunk in flight waits for the upload's
  60 s timeout (js/uploads.js) before the phone asks the server where to resume, which dominates that time.

Also reported: the recording's duration and size as Chromium's MediaRecorder produced them (asked for 16 kbit/s
Opus, mono), i.e. the bits per second of speech the phone actually sends.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import Browser, Page, expect

from benchmarks.live import Server, check, gunicorn, machine, write_results
from benchmarks.pwa_2g import HOUSEHOLD, PROFILE, Link, chromium
from benchmarks.relay import Relay
from tests.browser.household import enrol, open_household
from tests.browser.test_voice import speech_wav
from tests.conftest import HttpOfficer

RECORD_SECONDS = 30
VOICE_CHUNK = 32 * 1024  # js/uploads.js
CUT_AT = 0.6

# Like pwa_2g's watch, for one more "sent" badge than the page shows now (the first tip's stays on the list);
# pwa_2g's own watch, left running from a first delivery, would see that first badge at once.
WATCH_JS = """(base) => {
  window.__bench = { online: null, sent: null, sentEpoch: null };
  addEventListener('online', () => { window.__bench.online ??= performance.now(); });
  const mark = () => { window.__bench.sent ??= performance.now();
    window.__bench.sentEpoch ??= performance.timeOrigin + window.__bench.sent; };
  window.__benchWatch?.disconnect();
  window.__benchWatch = new MutationObserver(() => {
    if (document.querySelectorAll('.badge.sent').length > base) mark(); });
  window.__benchWatch.observe(document.body, { subtree: true, childList: true, attributes: true });
}"""

RECORDING_JS = """async () => {
  const db = await new Promise((ok) => { const r = indexedDB.open('binh-an'); r.onsuccess = () => ok(r.result); });
  const all = await new Promise((ok) => { const r = db.transaction('outbox').objectStore('outbox').getAll();
    r.onsuccess = () => ok(r.result); });
  db.close();
  const att = all.flatMap((i) => i.attachments || []).find((a) => String(a.content_type).startsWith('audio/'));
  return att ? { id: att.id, size: att.size, content_type: att.content_type } : null;
}"""


def mic_chromium(wav: Path) -> AbstractContextManager[Browser]:
    """Chromium whose microphone plays ``wav`` and needs no permission prompt."""
    fake = ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream")
    return chromium(*fake, f"--use-file-for-fake-audio-capture={wav}")


def record_tip(page: Page, link: Link, seconds: float) -> dict[str, Any]:
    """With no signal: a security tip, spoken for ``seconds``, no text; queued. Returns the recording's figures."""
    link.offline()
    page.get_by_role("button", name="Viết tin mới").click()
    expect(page.get_by_role("heading", name="Bạn muốn gửi gì?")).to_be_visible()
    page.get_by_role("button", name="Tin báo an ninh").click()
    page.get_by_label("Ma tuý", exact=True).check()
    anonymous = page.get_by_label("Gửi ẩn danh (không ghi tên hộ)")
    anonymous.set_checked(False)  # a named tip: an anonymous one waits its random delay (ADR 0004)
    page.get_by_role("button", name="Bấm để nói (ghi âm)").click()
    page.wait_for_timeout(int(seconds * 1000))
    page.get_by_role("button", name="Bấm để dừng").click()
    expect(page.locator("#voice-playback")).to_be_visible()
    page.get_by_role("button", name="Gửi", exact=True).click()
    expect(page.locator(".badge.waiting")).to_have_count(1)
    recording = page.evaluate(RECORDING_JS)
    check(recording is not None, "no recording in the outbox")
    return {"id": recording["id"], "bytes": int(recording["size"]), "content_type": recording["content_type"]}


def measured(server: Server, recording: dict[str, Any]) -> dict[str, Any]:
    """The recording's length as the server counted it from its Opus packets, and the bitrate that gives."""
    officer = HttpOfficer(server.port)
    (found,) = [a for r in officer.reports(has_voice="true") for a in r["attachments"] if a["id"] == recording["id"]]
    seconds = found["duration_ms"] / 1000
    size = recording["bytes"]
    return {
        **{k: v for k, v in recording.items() if k != "id"},
        "recorded_s": round(seconds, 2),
        "stored_bytes": found["size"],
        "bits_per_s": round(8 * size / seconds),
        "bytes_per_s": round(size / seconds),
    }


def _resent(link: Link, size: int, before_ms: float) -> tuple[int, int]:
    """(bytes of recording chunks the phone sent beyond the recording's size, PATCH requests): each PATCH carries
    the chunk at its ``offset`` (32 KB, or what is left)."""
    sent = 0
    patches = 0
    for r in link.traffic.requests.values():
        url = r.get("url", "")
        if r.get("method") == "PATCH" and "/attachments/" in url and r.get("at_ms", 0) <= before_ms:
            offset = int(url.split("offset=")[1].split("&")[0])
            sent += min(VOICE_CHUNK, size - offset)
            patches += 1
    return sent - size, patches


def deliver(
    page: Page, link: Link, recording: dict[str, Any], *, cut: bool, relay: Relay | None = None
) -> dict[str, Any]:
    page.evaluate(WATCH_JS, page.locator(".badge.sent").count())
    link.traffic.requests.clear()
    started = time.perf_counter()
    link.second_generation()
    cut_done = False
    if cut:
        # Once 60 % of the recording should be up (after the sync's round trip and the first chunk's latency),
        # the link goes; it comes back 3 s later.
        first_patch = None
        deadline = time.monotonic() + 120
        while first_patch is None and time.monotonic() < deadline:
            patches = [r for r in link.traffic.requests.values() if r.get("method") == "PATCH"]
            first_patch = min((r["at_ms"] for r in patches), default=None)
            page.wait_for_timeout(50)
        check(first_patch is not None, "no upload started")
        upload_s = CUT_AT * recording["bytes"] * 8 / (PROFILE["up_kbit_s"] * 1000)
        page.wait_for_timeout(int(1000 * upload_s))  # the emulator overlaps an upload with its latency
        link.offline()  # the signal goes for 3 s, taking the chunk in flight with it
        if relay is not None:
            relay.cut()
        page.wait_for_timeout(3000)
        link.second_generation()
        cut_done = True
    page.wait_for_function("() => window.__bench.sent !== null", timeout=300_000, polling=100)
    wall = time.perf_counter() - started
    marks = page.evaluate("() => window.__bench")
    for _ in range(50):
        if link.traffic.finished(marks["sentEpoch"]):
            break
        page.wait_for_timeout(100)
    totals = link.traffic.totals(marks["sentEpoch"])
    latency = totals["requests"] * PROFILE["latency_ms"] / 1000
    up = totals["bytes_up"] * 8 / (PROFILE["up_kbit_s"] * 1000)
    down = totals["bytes_down"] * 8 / (PROFILE["down_kbit_s"] * 1000)
    budget = latency + 1.2 * (up + down)
    online_to_sent = (marks["sent"] - marks["online"]) / 1000 if marks["online"] is not None else wall
    resent, chunk_requests = _resent(link, recording["bytes"], marks["sentEpoch"])
    row: dict[str, Any] = {
        "case": "cut at 60 %" if cut else "whole",
        "online_to_sent_s": round(online_to_sent, 2),
        "budget_s": round(budget, 2),
        "within_budget": online_to_sent <= budget,
        "chunk_requests": chunk_requests,
        "resent_bytes": resent,
        **totals,
    }
    if cut_done:
        row["resent_at_most_one_chunk"] = row["resent_bytes"] <= VOICE_CHUNK
    return row


def run(small: bool, database_url: str | None = None, server: Server | None = None) -> dict[str, Any]:
    seconds = 3 if small else RECORD_SECONDS
    results = []
    recordings = []
    with ExitStack() as stack:
        if server is None:
            server = stack.enter_context(gunicorn(database_url))
        code = server.enrolment_codes("DONG-02")[0]
        tmp = Path(stack.enter_context(TemporaryDirectory()))
        browser = stack.enter_context(mic_chromium(speech_wav(tmp / "speech.wav")))
        relay = Relay(server.port)
        stack.callback(relay.close)
        relayed = f"http://127.0.0.1:{relay.port}"  # the phone reaches the server through the cuttable relay
        context = browser.new_context(
            base_url=relayed, viewport={"width": 360, "height": 640}, locale="vi-VN", service_workers="allow"
        )
        context.set_default_timeout(30_000)
        context.grant_permissions(["microphone"])
        stack.callback(context.close)
        page = context.new_page()
        enrol(page, code)
        open_household(page, HOUSEHOLD)
        page.wait_for_timeout(500)
        link = Link(browser, context, page, relayed)
        for cut in (False,) if small else (False, True):
            recording = record_tip(page, link, seconds)
            results.append(deliver(page, link, recording, cut=cut, relay=relay))
            recordings.append(measured(server, recording))
    return {
        "profile": PROFILE,
        "record_seconds": seconds,
        "asked_bits_per_s": 16000,
        "recordings": recordings,
        "results": results,
        "machine": machine(),
    }


def main(argv: list[str] | None = None, server: Server | None = None) -> dict[str, Any]:
    """The command line; ``server`` lets the smoke test reuse a running Bình An instead of starting one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="one 3 s recording, not cut")
    parser.add_argument("--database-url")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    figures = run(args.small, args.database_url, server)
    write_results("pwa_voice_2g", figures, args.out)
    for rec in figures["recordings"]:
        print(f"recorded {rec['recorded_s']} s: {rec['bytes']} B, {rec['bits_per_s']} bit/s ({rec['content_type']})")
    for row in figures["results"]:
        print(
            f"{row['case']:12} online→sent {row['online_to_sent_s']:>6} s   budget {row['budget_s']:>6} s   "
            f"({row['requests']} requests, {row['bytes_up']} B up, re-sent {row['resent_bytes']} B)"
        )
    return figures


if __name__ == "__main__":
    main()
