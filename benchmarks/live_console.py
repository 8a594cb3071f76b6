"""Live console latency (issue 15): a phone's sync → the officer's console showing the report; an officer's reply
→ the household's phone showing it once the app is back in the foreground.

    python benchmarks/live_console.py [--small] [--rounds 50] [--database-url postgresql://...] [--redis]

A throwaway gunicorn server (2 gthread workers × 4 threads, as scripts/run.sh starts it; SQLite unless told, no
Redis unless --redis: the workers then hear each other through the live_event table). Debian's Chromium opens the
officer console (signed in, its EventSource open) and the household app (enrolled, a household unlocked, on one
of its reports). Each round of the first figure sends a report through ``POST /api/v1/sync`` from a test phone
and takes the time from just before that request to the moment the report's line appears in the console's queue
(a MutationObserver in the page, on the same machine clock: no polling delay). Each round of the second posts
an officer's reply through the API, then brings the phone's app back to the foreground (the page's
``visibilitychange``), and takes the time until the reply's text is on the phone's screen. Medians over
``--rounds`` (50; 3 with --small).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import Browser, Page, expect

from benchmarks.live import Server, check, gunicorn, machine, percentile, write_results
from benchmarks.pwa_2g import chromium, phone
from tests.browser.console import sign_in
from tests.browser.household import enrol, open_household, write_report
from tests.conftest import HttpClient, HttpOfficer, Phone

# When a text first shows in the page, in epoch milliseconds (performance.timeOrigin + now).
WATCH_JS = """(word) => {
  window.__seen = window.__seen || {};
  const look = () => { if (!window.__seen[word] && document.body.innerText.includes(word))
    window.__seen[word] = performance.timeOrigin + performance.now(); };
  new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true });
  look();
}"""
FOREGROUND_JS = """() => {
  const set = (state) => Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  set('hidden'); document.dispatchEvent(new Event('visibilitychange'));
  set('visible'); document.dispatchEvent(new Event('visibilitychange'));
}"""


def _word() -> str:
    return uuid.uuid4().hex[:10].upper()


def _seen_after(page: Page, word: str, started_ms: float) -> float:
    page.wait_for_function("(w) => window.__seen && window.__seen[w]", arg=word, timeout=30_000, polling=50)
    return (page.evaluate("(w) => window.__seen[w]", word) - started_ms) / 1000


def sync_to_console(browser: Browser, server: Server, rounds: int) -> list[float]:
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900}, locale="vi-VN")
    try:
        console = context.new_page()
        sign_in(console)
        console.wait_for_function("document.body.dataset.live === 'stream'")
        device = Phone.enrol(HttpClient(server.port), server.enrolment_code("TAY-01"))
        times = []
        for _ in range(rounds):
            word = _word()
            console.evaluate(WATCH_JS, word)
            started = time.time() * 1000
            device.send_report(household_index=2, body=f"Có người lạ ở đầu thôn, mã {word}")
            times.append(_seen_after(console, word, started))
        return times
    finally:
        context.close()


def reply_to_phone(browser: Browser, server: Server, rounds: int) -> list[float]:
    context = phone(browser, server)
    try:
        page = context.new_page()
        enrol(page, server.enrolment_code("BAC-01"))
        open_household(page, "Hộ ông Nguyễn Văn An")
        word = _word()
        write_report(page, "Hỏi thủ tục", f"Xin hỏi thủ tục tạm trú {word}")
        expect(page.get_by_text("Đã gửi").first).to_be_visible(timeout=30_000)
        officer = HttpOfficer(server.port, "demo", "demo-officer")
        reports = officer.reports(q=word)
        check(len(reports) == 1, f"the phone's report is not in the queue: {reports}")
        page.get_by_role("button", name="Hỏi thủ tục").first.click()
        expect(page.get_by_text(word)).to_be_visible()
        times = []
        for _ in range(rounds):
            answer = _word()
            page.evaluate(WATCH_JS, answer)
            path = f"/api/v1/officer/reports/{reports[0]['id']}/messages"
            check(officer.request("POST", path, {"body": f"Mời lên xã, mã {answer}"}).status_code == 201, "reply")
            started = time.time() * 1000
            page.evaluate(FOREGROUND_JS)
            times.append(_seen_after(page, answer, started))
        return times
    finally:
        context.close()


def _summary(times: list[float]) -> dict[str, Any]:
    return {
        "rounds": len(times),
        "median_s": round(statistics.median(times), 3),
        "p90_s": round(percentile(times, 0.9), 3),
        "max_s": round(max(times), 3),
    }


def run(rounds: int, database_url: str | None = None, redis: bool = False, server: Server | None = None) -> dict:
    if server is None:
        with gunicorn(database_url, extra_env={"REDIS_URL": "redis://127.0.0.1:6379/0"} if redis else None) as own:
            return run(rounds, database_url, redis, own)
    with chromium() as browser:
        console = sync_to_console(browser, server, rounds)
        reply = reply_to_phone(browser, server, rounds)
    return {
        "database": server.env["DATABASE_URL"].split(":")[0],
        "notifier": "redis" if server.env.get("REDIS_URL") else "table poll",
        "sync_to_console": _summary(console),
        "reply_to_phone_in_foreground": _summary(reply),
        "machine": machine(),
    }


def main(argv: list[str] | None = None, server: Server | None = None) -> dict[str, Any]:
    """The command line; ``server`` lets the smoke test reuse a running Bình An instead of starting one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="3 rounds of each")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--database-url")
    parser.add_argument("--redis", action="store_true", help="workers hear each other through Redis (local)")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    figures = run(3 if args.small else args.rounds, args.database_url, args.redis, server)
    write_results("live_console", figures, args.out)
    return figures


if __name__ == "__main__":
    main()
