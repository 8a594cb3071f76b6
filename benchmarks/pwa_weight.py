"""PWA weight: bytes of the household app's first load (compressed and not), of a repeat load, and Lighthouse.

    python benchmarks/pwa_weight.py [--small]   (--small: no Lighthouse run)

A fresh Chromium profile (Debian's Chromium through Playwright) opens the household app on a throwaway
gunicorn server until its service worker controls the page. Three views of the first load:

- the server's access log: every request and the body bytes it sent (after gzip), the service worker's
  precache included (it fetches the shell again with ``cache: 'reload'``);
- the page's and the worker's Resource Timing: compressed body (``encodedBodySize``), uncompressed body
  (``decodedBodySize``) and bytes on the wire with headers (``transferSize``), per file;
- the shell alone (HTML, CSS, JS the page itself loaded), as tests/browser checks against its 60 KB budget.

Then the page is reloaded with the network on, and the access log tells what the repeat load took from the
network (the service worker answers the shell; it should be nothing).

Lighthouse 13 (npm, installed by this benchmark into benchmarks/.lighthouse with npm) audits the first page
with its default mobile settings (simulated throttling: 150 ms RTT, 1.6 Mbit/s, 4× CPU slowdown), run on
Debian's Chromium (``CHROME_PATH``) with the same flags; performance and accessibility scores are kept.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import Browser, expect

from benchmarks.live import REPO_ROOT, Server, access_entries, gunicorn, machine, write_results
from benchmarks.pwa_2g import CHROMIUM, CHROMIUM_ARGS, chromium, phone

LIGHTHOUSE_DIR = REPO_ROOT / "benchmarks" / ".lighthouse"
LIGHTHOUSE_CLI = LIGHTHOUSE_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"

ENTRIES_JS = """() => [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
  .map((e) => ({ name: new URL(e.name).pathname, type: e.initiatorType || e.entryType,
                 encoded: e.encodedBodySize, decoded: e.decodedBodySize, transfer: e.transferSize }))"""


def _sum(entries: list[dict[str, Any]], key: str) -> int:
    return sum(int(e[key]) for e in entries)


def first_load(browser: Browser, server: Server) -> dict[str, Any]:
    """Open the app in a fresh profile until the service worker controls it; then reload it."""
    context = phone(browser, server)
    try:
        page = context.new_page()
        start = server.access_log.stat().st_size
        page.goto("/")
        expect(page.get_by_label("Mã ghi danh")).to_be_visible()
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        page.wait_for_timeout(1000)  # the last precache responses reach the log
        logged = access_entries(server.access_log, start)
        page_entries = page.evaluate(ENTRIES_JS)
        worker_entries = context.service_workers[0].evaluate(ENTRIES_JS.replace("'navigation'", "'none'"))
        shell = [e for e in page_entries if e["type"] == "navigation" or e["name"].endswith((".js", ".css"))]
        repeat = repeat_load(page, server)
    finally:
        context.close()
    return {
        "first_load": {
            "requests": len(logged),
            "body_bytes_sent": sum(size for *_, size in logged),
            "page": {"files": len(page_entries), **totals(page_entries)},
            "service_worker_precache": {"files": len(worker_entries), **totals(worker_entries)},
            "shell_html_css_js": {"files": len(shell), **totals(shell)},
        },
        "repeat_load": repeat,
        "files": sorted(page_entries + worker_entries, key=lambda e: -e["decoded"]),
    }


def totals(entries: list[dict[str, Any]]) -> dict[str, int]:
    return {
        "compressed_bytes": _sum(entries, "encoded"),
        "uncompressed_bytes": _sum(entries, "decoded"),
        "on_the_wire_bytes": _sum(entries, "transfer"),
    }


def repeat_load(page: Any, server: Server) -> dict[str, Any]:
    """Reload with the network on; what reached the server (service worker update checks included)."""
    start = server.access_log.stat().st_size
    served: list[bool] = []
    page.on("response", lambda r: served.append(r.from_service_worker))
    page.reload()
    expect(page.get_by_label("Mã ghi danh")).to_be_visible()
    page.wait_for_timeout(2000)  # a service worker update check, if any, comes after the load
    logged = access_entries(server.access_log, start)
    return {
        "requests_to_network": len(logged),
        "body_bytes_from_network": sum(size for *_, size in logged),
        "network_requests": [f"{method} {path} {status}" for method, path, status, _ in logged],
        "responses_from_service_worker": sum(served),
        "responses": len(served),
    }


def ensure_lighthouse() -> Path:
    """Lighthouse 13 in a folder of its own (npm), on first use."""
    if not LIGHTHOUSE_CLI.exists():
        LIGHTHOUSE_DIR.mkdir(parents=True, exist_ok=True)
        # A package.json of its own: without one npm would install into the repository's (ESLint's) project.
        (LIGHTHOUSE_DIR / "package.json").write_text('{"private": true}\n')
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "lighthouse@13"],
            cwd=LIGHTHOUSE_DIR,
            check=True,
            timeout=900,
        )
    return LIGHTHOUSE_CLI


def lighthouse(url: str) -> dict[str, Any]:
    """Performance and accessibility scores of ``url`` with Lighthouse's default mobile settings."""
    cli = ensure_lighthouse()
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as tmp:
        report = Path(tmp) / "report.json"
        flags = " ".join(["--headless=new", *CHROMIUM_ARGS])
        done = subprocess.run(
            [
                *("node", str(cli), url, "--only-categories=performance,accessibility", "--output=json"),
                *(f"--output-path={report}", f"--chrome-flags={flags}", "--quiet"),
            ],
            env={**os.environ, "CHROME_PATH": CHROMIUM, "TMPDIR": tmp},
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0 or not report.exists():
            return {"error": (done.stderr or done.stdout)[-2000:]}
        data = json.loads(report.read_text())
    audits = data["audits"]
    metric = lambda key: round(audits[key]["numericValue"]) if key in audits else None  # noqa: E731
    return {
        "lighthouse_version": data["lighthouseVersion"],
        "form_factor": data["configSettings"]["formFactor"],
        "throttling": data["configSettings"]["throttling"],
        "performance": round(data["categories"]["performance"]["score"] * 100),
        "accessibility": round(data["categories"]["accessibility"]["score"] * 100),
        "first_contentful_paint_ms": metric("first-contentful-paint"),
        "largest_contentful_paint_ms": metric("largest-contentful-paint"),
        "total_blocking_time_ms": metric("total-blocking-time"),
        "total_byte_weight": metric("total-byte-weight"),
        "failed_accessibility_audits": [
            ref["id"]
            for ref in data["categories"]["accessibility"]["auditRefs"]
            if audits[ref["id"]].get("score") not in (None, 1) and ref.get("weight", 0) > 0
        ],
    }


def run(small: bool, server: Server | None = None) -> dict[str, Any]:
    with ExitStack() as stack:
        if server is None:
            server = stack.enter_context(gunicorn())
        browser = stack.enter_context(chromium())
        figures = first_load(browser, server)
        if not small:
            figures["lighthouse"] = lighthouse(server.url + "/")
    figures["machine"] = machine()
    return figures


def main(argv: list[str] | None = None, server: Server | None = None) -> dict[str, Any]:
    """The command line; ``server`` lets the smoke test reuse a running Bình An instead of starting one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="no Lighthouse run")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    figures = run(args.small, server)
    write_results("pwa_weight", figures, args.out)
    first, repeat = figures["first_load"], figures["repeat_load"]
    shell = first["shell_html_css_js"]
    print(
        f"first load: {first['requests']} requests, {first['body_bytes_sent']} B of bodies sent; shell "
        f"{shell['compressed_bytes']} B compressed / {shell['uncompressed_bytes']} B uncompressed\n"
        f"repeat load: {repeat['requests_to_network']} requests, {repeat['body_bytes_from_network']} B from the network"
    )
    if "lighthouse" in figures:
        lh = figures["lighthouse"]
        print(f"Lighthouse: performance {lh.get('performance')}, accessibility {lh.get('accessibility')}")
    return figures


if __name__ == "__main__":
    main()
