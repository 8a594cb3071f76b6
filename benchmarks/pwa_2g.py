"""2G delivery: time from a link coming back to "sent" in the household PWA, for a text tip and a photo tip.

    python benchmarks/pwa_2g.py [--small] [--database-url postgresql://...]

Debian's Chromium (through Playwright, never a downloaded build) opens the household app against a
throwaway gunicorn server, enrols and unlocks a household. CDP ``Network.emulateNetworkConditions`` then
takes the phone's signal away, and a tip is written: text only, or with a camera photo (3000×2000 JPEG
with a real photo's grain, shrunk by the app before it is queued: see camera_photo). Then the same call
gives the phone a 2G link (PROFILE below: 300 ms latency, 250 kbit/s down, 50 kbit/s up) and the clock
runs from the page's ``online`` event to the tip's "sent" badge (a MutationObserver in the page: no
polling delay). The conditions are set on the page and on its service worker (the page's API calls leave
through the worker: see Link). Bytes and requests are read from CDP's Network events (headers included),
for the API calls that started before "sent". The budget they are set against is RTT + bytes / bandwidth:
one latency per request plus the bytes up over 50 kbit/s and down over 250 kbit/s. Chromium's emulator
lets an upload overlap its request's latency, so a long upload can come in slightly under that budget.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from benchmarks.live import Server, check, gunicorn, machine, write_results
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.browser.household import enrol, open_household, write_report

PROFILE = {"latency_ms": 300, "down_kbit_s": 250, "up_kbit_s": 50}
HOUSEHOLD = "Hộ ông Nguyễn Văn An"

# Records, in the page's clock, when the link came back and when the first "sent" badge appeared.
WATCH_JS = """() => {
  window.__bench = { online: null, sent: null, sentEpoch: null };
  addEventListener('online', () => { window.__bench.online ??= performance.now(); });
  const seen = () => document.querySelector('.badge.sent');
  const mark = () => { window.__bench.sent ??= performance.now();
    window.__bench.sentEpoch ??= performance.timeOrigin + window.__bench.sent; };
  new MutationObserver(() => { if (seen()) mark(); })
    .observe(document.body, { subtree: true, childList: true, attributes: true });
  return performance.now();
}"""


@contextmanager
def chromium(*extra_args: str) -> Iterator[Browser]:
    """Debian's Chromium with the suite's flags and ``extra_args`` (a fake microphone, say)."""
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args])
        try:
            yield browser
        finally:
            browser.close()


def phone(browser: Browser, server: Server) -> BrowserContext:
    """A fresh phone profile: 360×640, Vietnamese, service worker allowed."""
    context = browser.new_context(
        base_url=server.url, viewport={"width": 360, "height": 640}, locale="vi-VN", service_workers="allow"
    )
    context.set_default_timeout(30_000)
    return context


class Traffic:
    """Counts requests to /api/ and their bytes (headers included) from CDP Network events.

    The page's API calls pass through the service worker's fetch handler (which lets them go to the
    network); both the page's and the worker's sessions report them: the page's are counted (its
    ``encodedDataLength`` matches benchmarks/wire.py's count of the same exchange to the byte).
    """

    def __init__(self) -> None:
        self.requests: dict[str, dict[str, Any]] = {}

    def on_event(self, method: str, params: dict[str, Any]) -> None:
        # ExtraInfo may come before or after its requestWillBeSent: keep everything, filter in totals().
        entry = self.requests.setdefault(params["requestId"], {})
        if method == "Network.requestWillBeSent":
            request = params["request"]
            entry.update(url=request["url"], method=request["method"], at_ms=params["wallTime"] * 1000)
            entry["line"] = len(f"{request['method']} {request['url']} HTTP/1.1\r\n\r\n")
        elif method == "Network.requestWillBeSentExtraInfo":
            headers = params.get("headers", {})
            length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), 0))
            entry["headers_and_body"] = sum(len(k) + len(str(v)) + 4 for k, v in headers.items()) + length
        elif method == "Network.loadingFinished":
            entry["down"] = int(params["encodedDataLength"])

    def _api(self, before_ms: float) -> list[dict[str, Any]]:
        return [r for r in self.requests.values() if "/api/" in r.get("url", "") and r["at_ms"] <= before_ms]

    def finished(self, before_ms: float) -> bool:
        return all("down" in r and "headers_and_body" in r for r in self._api(before_ms))

    def totals(self, before_ms: float) -> dict[str, Any]:
        """The API requests that started before ``before_ms`` (epoch ms): those that delivered the tip."""
        done = self._api(before_ms)
        return {
            "requests": len(done),
            "calls": [f"{r['method']} {r['url'].split('/api/v1/')[-1].split('?')[0][:20]}" for r in done],
            "bytes_up": sum(r["line"] + r.get("headers_and_body", 0) for r in done),
            "bytes_down": sum(r.get("down", 0) for r in done),
        }


class Link:
    """The phone's link, set by ``Network.emulateNetworkConditions`` on the page and on its service worker.

    Playwright opens CDP sessions on pages only; the worker is reached through the browser's session with
    ``Target.attachToTarget`` and ``Target.sendMessageToTarget``. Emulating the page alone is not enough:
    its API calls leave through the worker, which would stay on the machine's unthrottled loopback.
    """

    def __init__(self, browser: Browser, context: BrowserContext, page: Page, origin: str) -> None:
        self.traffic = Traffic()
        self.page = context.new_cdp_session(page)
        self.browser = browser.new_browser_cdp_session()
        targets = self.browser.send("Target.getTargets")["targetInfos"]
        worker = next(t for t in targets if t["type"] == "service_worker" and t["url"].startswith(origin))
        attached = self.browser.send("Target.attachToTarget", {"targetId": worker["targetId"], "flatten": False})
        self.worker_session = attached["sessionId"]
        self._ids = 0
        for method in ("requestWillBeSent", "requestWillBeSentExtraInfo", "loadingFinished"):
            self.page.on(f"Network.{method}", lambda params, m=method: self.traffic.on_event(f"Network.{m}", params))
        self.send("Network.enable", {})

    def send(self, method: str, params: dict[str, Any]) -> None:
        """Send to the page and to the worker."""
        self.page.send(method, params)
        self._ids += 1
        message = json.dumps({"id": self._ids, "method": method, "params": params})
        self.browser.send("Target.sendMessageToTarget", {"sessionId": self.worker_session, "message": message})

    def offline(self) -> None:
        self.send(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )

    def second_generation(self) -> None:
        self.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": PROFILE["latency_ms"],
                "downloadThroughput": PROFILE["down_kbit_s"] * 1000 / 8,
                "uploadThroughput": PROFILE["up_kbit_s"] * 1000 / 8,
                "connectionType": "cellular2g",
            },
        )


def budget_seconds(totals: dict[str, Any]) -> float:
    """One latency per request, plus the bytes over each direction's bandwidth."""
    latency = totals["requests"] * PROFILE["latency_ms"] / 1000
    up = totals["bytes_up"] * 8 / (PROFILE["up_kbit_s"] * 1000)
    down = totals["bytes_down"] * 8 / (PROFILE["down_kbit_s"] * 1000)
    return latency + up + down


def queue_offline(page: Page, link: Link, photo: bytes | None) -> None:
    """Write the tip with no signal; it waits in the outbox."""
    link.offline()
    body = "Tối nay có nhóm thanh niên lạ tụ tập ở bãi sông, nghi mua bán ma tuý, đi ba xe máy không biển số."
    write_report(page, "Tin báo an ninh", body, category="Ma tuý", photo=photo, anonymous=False)
    expect(page.locator(".badge.waiting")).to_have_count(1)


def deliver(browser: Browser, server: Server, code: str, photo: bytes | None) -> dict[str, Any]:
    """One phone, one tip, one measured delivery over the emulated 2G link."""
    context = phone(browser, server)
    try:
        page = context.new_page()
        enrol(page, code)
        open_household(page, HOUSEHOLD)
        page.wait_for_timeout(500)  # let the enrolment's first sync settle
        link = Link(browser, context, page, server.url)
        queue_offline(page, link, photo)
        page.wait_for_timeout(1000)
        check(page.locator(".badge.waiting").count() == 1, "the tip left the phone while it was offline")
        page.evaluate(WATCH_JS)
        link.traffic.requests.clear()
        started = time.perf_counter()
        link.second_generation()  # the link comes back, as 2G
        page.wait_for_function("() => window.__bench.sent !== null", timeout=180_000, polling=100)
        wall = time.perf_counter() - started
        marks = page.evaluate("() => window.__bench")
        for _ in range(50):  # the last CDP events
            if link.traffic.finished(marks["sentEpoch"]):
                break
            page.wait_for_timeout(100)
        totals = link.traffic.totals(marks["sentEpoch"])
        check(totals["requests"] >= 1, "no request went out over the emulated link")
        online_to_sent = (marks["sent"] - marks["online"]) / 1000 if marks["online"] is not None else wall
        budget = budget_seconds(totals)
        return {
            "tip": "photo" if photo else "text",
            "online_to_sent_s": round(online_to_sent, 2),
            "budget_s": round(budget, 2),
            "over_budget": round(online_to_sent / budget, 2),
            "online_event_seen": marks["online"] is not None,
            **totals,
        }
    finally:
        context.close()


def camera_photo() -> bytes:
    """A 3000×2000 JPEG with a real photo's fine detail (noise over a picture), as a phone camera gives.

    tests/browser's smooth Mandelbrot shrinks to about 55 KB; a real photo lands near the app's 150 KB target,
    and on a 50 kbit/s uplink that difference is the whole story.
    """
    size = (3000, 2000)
    picture = Image.effect_mandelbrot(size, (-2.0, -1.2, 1.0, 1.2), 60).convert("RGB")
    grain = Image.merge("RGB", [Image.effect_noise(size, sigma) for sigma in (48, 40, 56)])
    out = io.BytesIO()
    Image.blend(picture, grain, 0.55).save(out, "JPEG", quality=92)
    return out.getvalue()


def run(small: bool, database_url: str | None = None, server: Server | None = None) -> dict[str, Any]:
    cases = [None] if small else [None, camera_photo()]
    with ExitStack() as stack:
        if server is None:
            server = stack.enter_context(gunicorn(database_url))
        codes = server.enrolment_codes(*["DONG-01", "DONG-02"][: len(cases)])
        browser = stack.enter_context(chromium())
        results = [deliver(browser, server, code, photo) for code, photo in zip(codes, cases, strict=True)]
    return {"profile": PROFILE, "results": results, "machine": machine()}


def main(argv: list[str] | None = None, server: Server | None = None) -> dict[str, Any]:
    """The command line; ``server`` lets the smoke test reuse a running Bình An instead of starting one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="the text tip only")
    parser.add_argument("--database-url")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    figures = run(args.small, args.database_url, server)
    write_results("pwa_2g", figures, args.out)
    for row in figures["results"]:
        print(
            f"{row['tip']:6} online→sent {row['online_to_sent_s']:>6} s   "
            f"budget (RTT + bytes/bandwidth) {row['budget_s']:>6} s   "
            f"({row['requests']} requests, {row['bytes_up']} B up, {row['bytes_down']} B down)"
        )
    return figures


if __name__ == "__main__":
    main()
